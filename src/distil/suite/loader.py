"""Loading a suite file: validated, its recipes loaded, its models and metrics checked.

Errors name the file, the line and the field, as for recipes (the same YAML loader and error
formatting); an error inside a listed recipe names that recipe's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distil.errors import DistilError
from distil.kinds import Reporter
from distil.plugins import PluginHost, get_host
from distil.recipe import LoadedRecipe, load_recipe
from distil.recipe.errors import recipe_error_from_validation
from distil.recipe.resolve import build_plugin, resolve_relative
from distil.recipe.yaml_source import PathKey, YamlSource, load_yaml
from distil.suite.models import SuiteModel

# The bench matrix shows these; they are added to a task's metrics when it lacks them.
MATRIX_METRICS = ("pass_rate", "length_stats", "latency", "cost")


@dataclass
class SuiteTask:
    """One recipe of the suite, with the overrides that apply to it."""

    index: int
    name: str
    path: Path
    description: str | None
    split: str | None
    limit: int | None
    metrics: list[Any]


@dataclass
class LoadedSuite:
    path: Path
    source: YamlSource
    spec: SuiteModel
    host: PluginHost
    plugins_dirs: tuple[str, ...]
    tasks: list[SuiteTask]
    model_specs: list[Any]
    models_source: YamlSource  # where the model specs came from: the suite, or `--model`
    models_loc: PathKey
    reporters: list[Reporter] = field(default_factory=list)
    missing_data: list[str] = field(default_factory=list)  # downloadable inputs not there yet
    strategies: list[tuple[str, Any]] = field(default_factory=list)  # (label, spec)

    @property
    def name(self) -> str:
        return self.spec.name

    def load_task(self, task: SuiteTask) -> LoadedRecipe:
        """A freshly loaded recipe for one cell (each cell rewrites its own copy)."""
        return load_recipe(task.path, self.plugins_dirs)


def is_suite_file(path: str | Path) -> bool:
    """True for a YAML file whose top level has a `recipes:` key (recipes never do)."""
    try:  # the loader's limits hold here too (a file that breaks them is no suite)
        data = load_yaml(path).data
    except DistilError:
        return False
    return isinstance(data, dict) and "recipes" in data


def _metric_name(spec: Any) -> str | None:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict) and len(spec) == 1:
        return str(next(iter(spec)))
    return None


def with_matrix_metrics(specs: list[Any]) -> list[Any]:
    names = {_metric_name(s) for s in specs}
    return [*specs, *(m for m in MATRIX_METRICS if m not in names)]


def load_suite(path: str | Path, plugins_dirs: tuple[str, ...] = (),
               models: tuple[str, ...] = (), *, allow_missing_data: bool = False,
               limit: int | None = None) -> LoadedSuite:
    """Load and check a suite. `models` (from `--model`) replace the suite's models; `limit`
    (`--limit`) replaces every task's limit.

    `allow_missing_data` is passed to each recipe's loader (see `load_recipe`).
    """
    from distil.engine.evaluation import (
        DEFAULT_METRICS,
        build_cli_models,
        build_eval_models,
        model_option,
    )

    src = load_yaml(path)
    if not isinstance(src.data, dict):
        raise src.error((), "expected a mapping at the top of the file")
    try:
        spec = SuiteModel.model_validate(src.data)
    except ValidationError as exc:
        raise recipe_error_from_validation(exc, src, (), SuiteModel) from None
    base = Path(path).resolve().parent
    dirs = list(plugins_dirs)
    for i, entry in enumerate(spec.plugins):
        d = resolve_relative(base, entry)
        if not d.is_dir():
            raise src.error(("plugins", i), f"plugins directory not found: {d}")
        dirs.append(str(d))
    host = get_host(dirs)
    if spec.metrics is not None:
        for i, m in enumerate(spec.metrics):
            build_plugin(host, "metric", m, ("metrics", i), src)
    reporters = [build_plugin(host, "reporter", r, ("report", i), src)
                 for i, r in enumerate(spec.report)]

    strategies = list((spec.strategies or {}).items())
    for label, strategy in strategies:
        build_plugin(host, "strategy", strategy, ("strategies", label), src)
    if models:
        model_specs: list[Any] = [model_option(m) for m in models]
        models_source, models_loc = YamlSource("--model", {}, {}), ()
    else:
        model_specs = list(spec.models) or (["teacher"] if strategies else [])
        models_source, models_loc = src, ("models",)
        if not model_specs:
            raise src.error((), "the suite lists no models: add `models:` or pass --model")

    tasks: list[SuiteTask] = []
    missing_data: list[str] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(spec.recipes):
        loc = ("recipes", i)
        recipe_path = resolve_relative(base, entry.path)
        if not recipe_path.is_file():
            raise src.error(loc, f"recipe not found: {recipe_path}")
        loaded = load_recipe(recipe_path, tuple(dirs), allow_missing_data=allow_missing_data)
        missing_data += loaded.missing_data
        if loaded.name in seen:
            raise src.error(loc, f"two recipes are named {loaded.name!r} (also recipes"
                                 f"[{seen[loaded.name]}]); each task needs its own name")
        seen[loaded.name] = i
        if strategies and loaded.teacher_model is None:
            raise src.error(loc, f"{recipe_path} has no teacher, and `strategies:` runs each "
                                 f"task's teacher with every strategy")
        # every model must make sense for every recipe (`teacher` needs a teacher)
        if models:
            build_cli_models(loaded, models)
        else:
            build_eval_models(loaded, model_specs, models_source, models_loc)
        if strategies:
            metrics = with_strategy_metrics(list(spec.metrics or []))
        elif spec.metrics is not None:
            metrics = list(spec.metrics)
        elif loaded.spec.evaluate is not None:
            metrics = list(loaded.spec.evaluate.metrics)
        else:
            metrics = list(DEFAULT_METRICS)
        tasks.append(SuiteTask(i, loaded.name, recipe_path, loaded.spec.description,
                               entry.split or spec.split, limit or entry.limit or spec.limit,
                               metrics if strategies else with_matrix_metrics(metrics)))

    return LoadedSuite(Path(path), src, spec, host, tuple(dirs), tasks, model_specs,
                       models_source, models_loc, reporters,  # type: ignore[arg-type]
                       missing_data, strategies)


def with_strategy_metrics(specs: list[Any]) -> list[Any]:
    """A strategy cell's metrics: the suite's, with what the strategy table needs added."""
    from distil.suite.strategies import STRATEGY_METRICS

    names = {_metric_name(s) for s in specs}
    return [*specs, *(m for m in STRATEGY_METRICS if m not in names)]


__all__ = ["LoadedSuite", "SuiteTask", "is_suite_file", "load_suite",
           "with_matrix_metrics"]
