"""Loading a recipe file into a `LoadedRecipe`: validated, with its plugins built."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError
from pydantic import ValidationError

from distil.errors import RecipeError, UsageError
from distil.kinds import ConstraintSet, Corpus, Metric, Model, Reporter, Strategy, Trainer
from distil.kinds.batch import supports_batch
from distil.plugins import PluginHost, get_host
from distil.recipe.errors import recipe_error_from_validation
from distil.recipe.models import ConstraintsFileModel, RecipeModel
from distil.recipe.resolve import (
    RESERVED_MODEL_NAMES,
    build_constraints,
    build_model,
    build_plugin,
    resolve_relative,
)
from distil.recipe.yaml_source import YamlSource, load_yaml
from distil.templating import check_template


@dataclass
class LoadedRecipe:
    """A recipe with every plugin built and every template checked."""

    path: Path
    source: YamlSource
    spec: RecipeModel
    host: PluginHost
    corpus: Corpus
    constraints: ConstraintSet
    teacher_model: Model | None
    strategy: Strategy | None
    trainer: Trainer | None
    eval_models: list[tuple[str, Model | None]] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    reporters: list[Reporter] = field(default_factory=list)
    missing_data: list[str] = field(default_factory=list)  # downloadable inputs not there yet

    @property
    def name(self) -> str:
        return self.spec.name


def _host_for(src: YamlSource, base: Path, plugins: list[str],
              extra_dirs: tuple[str, ...]) -> PluginHost:
    dirs = list(extra_dirs)
    for i, entry in enumerate(plugins):
        d = resolve_relative(base, entry)
        if not d.is_dir():
            raise src.error(("plugins", i), f"plugins directory not found: {d}")
        dirs.append(str(d))
    return get_host(dirs)


def _validate(src: YamlSource, model_cls):
    if not isinstance(src.data, dict):
        raise src.error((), "expected a mapping at the top of the file")
    try:
        return model_cls.model_validate(src.data)
    except ValidationError as exc:
        raise recipe_error_from_validation(exc, src, (), model_cls) from None


def load_recipe(path: str | Path, plugins_dirs: tuple[str, ...] = (), *,
                allow_missing_data: bool = False, base_dir: Path | None = None) -> LoadedRecipe:
    """Load, validate and build a recipe.

    Relative paths (corpus files, plugin directories, schema files) resolve from `base_dir`,
    by default the recipe's own folder.

    With `allow_missing_data`, input data that is missing but can be downloaded (a SourceError
    with a `fetch` command) is noted in `missing_data` instead of failing: `distil validate`
    checks recipes for public corpora before anyone has downloaded them.
    """
    src = load_yaml(path)
    spec: RecipeModel = _validate(src, RecipeModel)
    p = Path(path)
    base = src.base_dir = base_dir.resolve() if base_dir else p.resolve().parent
    host = _host_for(src, base, spec.plugins, plugins_dirs)

    corpus_loc = ("corpus",)
    corpus = build_plugin(host, "corpus", spec.corpus.plugin, corpus_loc, src)
    assert isinstance(corpus, Corpus)
    cname = next(iter(spec.corpus.plugin)) if isinstance(spec.corpus.plugin, dict) else spec.corpus.plugin
    missing_data: list[str] = []
    try:
        corpus.check_sources()
    except UsageError as exc:
        located = src.error(("corpus", cname, getattr(exc, "field", None) or "path"), str(exc))
        fetch = getattr(exc, "fetch", None)
        if not (allow_missing_data and fetch):
            raise located from None
        missing_data.append(f"{located} (to get it: {fetch})")

    for key in ("system", "user"):
        template = getattr(spec.prompt, key)
        if template is None:
            continue
        try:
            check_template(template)
        except TemplateSyntaxError as exc:
            raise src.error(("prompt", key), f"template error: {exc.message}") from None

    constraints = build_constraints(host, spec.constraints, ("constraints",), src)

    teacher_model = strategy = None
    if spec.teacher is not None:
        teacher_model = build_model(host, spec.teacher.model, ("teacher", "model"), src)
        strategy = build_plugin(host, "strategy", spec.teacher.strategy, ("teacher", "strategy"), src)
        if spec.teacher.execution == "batch" and not supports_batch(teacher_model):
            raise src.error(("teacher", "execution"), f"execution: batch needs a model with a "
                            f"batch API (the `openai` model); {teacher_model.display_name} has "
                            f"none (use execution: online)")
        if spec.teacher.execution == "ray":
            _check_ray(src, ("teacher", "execution"), [teacher_model])

    trainer = None
    if spec.student is not None:
        trainer = build_plugin(host, "trainer", spec.student, ("student",), src)

    eval_models: list[tuple[str, Model | None]] = []
    metrics = []
    if spec.evaluate is not None:
        listed = spec.evaluate.models
        if listed is None:
            listed = ["teacher"] if teacher_model is not None else []
        for i, m in enumerate(listed):
            loc = ("evaluate", "models", i)
            if isinstance(m, str) and m in RESERVED_MODEL_NAMES:
                if m == "teacher" and teacher_model is None:
                    raise src.error(loc, "`teacher` is listed but the recipe has no teacher")
                if m == "student" and trainer is None:
                    raise src.error(loc, "`student` is listed but the recipe has no student")
                eval_models.append((m, teacher_model if m == "teacher" else None))
            else:
                model = build_model(host, m, loc, src)
                eval_models.append((model.display_name, model))
        metrics = [build_plugin(host, "metric", s, ("evaluate", "metrics", i), src)
                   for i, s in enumerate(spec.evaluate.metrics)]
        if spec.evaluate.execution == "ray":
            _check_ray(src, ("evaluate", "execution"), [m for _, m in eval_models if m])
    reporters = [build_plugin(host, "reporter", s, ("report", i), src)
                 for i, s in enumerate(spec.report)]

    return LoadedRecipe(
        path=p, source=src, spec=spec, host=host, corpus=corpus, constraints=constraints,
        teacher_model=teacher_model, strategy=strategy, trainer=trainer,  # type: ignore[arg-type]
        eval_models=eval_models, metrics=metrics, reporters=reporters,  # type: ignore[arg-type]
        missing_data=missing_data,
    )


def _check_ray(src: YamlSource, where: tuple[str, ...], models: list[Model]) -> None:
    """`execution: ray` needs Ray installed (the `ray` extra) and `openai` models, whose
    requests Ray Data's HTTP processor sends (or whose model a vLLM processor serves)."""
    if importlib.util.find_spec("ray") is None:
        raise src.error(where, "execution: ray needs Ray, which is not installed: "
                        "pip install 'distil[ray]'")
    for model in models:
        if not supports_batch(model):
            raise src.error(where, f"execution: ray needs the `openai` model (any "
                            f"OpenAI-compatible base_url); {model.display_name} is not one")


def load_constraints_file(path: str | Path, plugins_dirs: tuple[str, ...] = ()) -> ConstraintSet:
    """The `constraints:` list of any YAML file (a recipe or a constraints-only file)."""
    src = load_yaml(path)
    spec: ConstraintsFileModel = _validate(src, ConstraintsFileModel)
    host = _host_for(src, Path(path).resolve().parent, spec.plugins, plugins_dirs)
    return build_constraints(host, spec.constraints, ("constraints",), src)


def dump_resolved(recipe: LoadedRecipe) -> dict[str, Any]:
    """The recipe as it will run (defaults filled in), for the run directory."""
    return recipe.spec.model_dump(mode="json", exclude_none=True)


__all__ = ["LoadedRecipe", "RecipeError", "load_constraints_file", "load_recipe", "dump_resolved"]
