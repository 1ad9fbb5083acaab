"""The evaluation plan: which models answer which documents, and which metrics are computed.

A plan is a value. It is built once — from the recipe's `evaluate:` section, or with the
models, split, limit and metrics that `distil eval --model ...` and `distil bench` choose —
stored in the run (`save_plan`), and read back by the evaluate stage, by `distil report` and by
resumed runs (`load_plan`). Nothing rewrites the loaded recipe to point it elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from distil.errors import RecipeError, UsageError
from distil.kinds import Metric, Model
from distil.recipe import LoadedRecipe
from distil.recipe.models import EvaluateSpec
from distil.recipe.resolve import RESERVED_MODEL_NAMES, build_model, build_plugin
from distil.recipe.yaml_source import PathKey, YamlSource

if TYPE_CHECKING:
    from distil.engine.store import RunStore

# Metrics of a recipe that has no `evaluate:` section: the article's table and the bench matrix.
DEFAULT_METRICS: list[Any] = ["length_stats", "pass_rate", "latency", "tokens", "cost"]
PLAN_META = "evaluation_plan"
STUDENT_META = "student_model"

Labelled = list[tuple[str, Model | None]]


@dataclass(frozen=True)
class EvaluationPlan:
    """What the evaluate stage does; JSON-ready, so the run can keep it.

    `models` pairs each label with its spec as written (`teacher`, `student`, a model string
    or mapping). The live models and metrics built for the plan ride along, unserialised.
    """

    split: str
    limit: int | None
    concurrency: int
    models: tuple[tuple[str, Any], ...]
    metrics: tuple[Any, ...]
    _live_models: Labelled | None = field(default=None, compare=False, repr=False)
    _live_metrics: list[Metric] | None = field(default=None, compare=False, repr=False)
    _resolved: list[tuple[str, Model]] | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"split": self.split, "limit": self.limit, "concurrency": self.concurrency,
                "models": [[label, spec] for label, spec in self.models],
                "metrics": list(self.metrics)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvaluationPlan:
        return cls(data["split"], data.get("limit"), data["concurrency"],
                   tuple((label, spec) for label, spec in data["models"]),
                   tuple(data["metrics"]))

    def metric_plugins(self, loaded: LoadedRecipe) -> list[Metric]:
        if self._live_metrics is None:
            built = build_metrics(loaded, self.metrics,
                                  YamlSource(f"{loaded.path} (evaluate.metrics)", {}, {}))
            object.__setattr__(self, "_live_metrics", built)
        return self._live_metrics  # type: ignore[return-value]

    def model_plugins(self, loaded: LoadedRecipe, store: RunStore) -> list[tuple[str, Model]]:
        """(label, model) for every planned model; `student` is the run's trained student.
        Built once per plan: a model is loaded once however often it is asked for."""
        if self._resolved is not None:
            return self._resolved
        if self._live_models is None:
            src = YamlSource(f"{store.path} (evaluation plan)", {}, {})
            built = build_eval_models(loaded, [spec for _, spec in self.models], src)
            object.__setattr__(self, "_live_models", built)
        out: list[tuple[str, Model]] = []
        for label, model in self._live_models:  # type: ignore[union-attr]
            if model is None:  # `student`
                spec = store.get_meta(STUDENT_META)
                if spec is None:
                    raise UsageError("evaluate lists `student` but no student has been trained "
                                     "in this run; run the train stage first")
                model = build_model(loaded.host, spec, ("student",),
                                    YamlSource(str(store.path.parent), {}, {}))
            out.append((label, model))
        object.__setattr__(self, "_resolved", out)
        return out

    def built_models(self) -> list[Model]:
        """The models this plan has built so far (to close them when the run ends)."""
        return [m for _, m in self._resolved or ()] or [
            m for _, m in self._live_models or () if m is not None]


def plan_for(loaded: LoadedRecipe, *, models: Sequence[Any] = (), split: str | None = None,
             limit: int | None = None, metrics: Sequence[Any] | None = None,
             models_src: YamlSource | None = None, models_loc: PathKey = (),
             eval_models: Labelled | None = None) -> EvaluationPlan:
    """The plan of the recipe's `evaluate:` section, with whatever is given in its place.

    Models come as specs (`models`, located by `models_src`/`models_loc` for errors; default
    the command line's `--model`), or already built (`eval_models`). A recipe without an
    `evaluate:` section gets EvaluateSpec's defaults and DEFAULT_METRICS.
    """
    spec = loaded.spec.evaluate
    base = spec or EvaluateSpec(models=[], metrics=list(DEFAULT_METRICS))
    if eval_models is not None:
        live, specs = list(eval_models), list(models)
    elif models and models_src is not None:
        specs = [model_option(m) if isinstance(m, str) else m for m in models]
        live = build_eval_models(loaded, specs, models_src, models_loc)
    elif models:
        specs = [model_option(m) if isinstance(m, str) else m for m in models]
        live = build_cli_models(loaded, models)
    else:
        live = list(loaded.eval_models)
        listed = base.models if base.models is not None else (
            ["teacher"] if loaded.teacher_model is not None else [])
        specs = list(listed)
    if not live:
        raise UsageError(f"{loaded.path}: no model to evaluate: name one with --model")
    metric_specs = list(metrics) if metrics is not None else list(base.metrics)
    same_metrics = metrics is None and spec is not None
    return EvaluationPlan(
        split=split or base.split, limit=limit if limit is not None else base.limit,
        concurrency=base.concurrency,
        models=tuple((label, s) for (label, _), s in zip(live, specs)),
        metrics=tuple(metric_specs), _live_models=live,
        _live_metrics=list(loaded.metrics) if same_metrics else None)


def save_plan(store: RunStore, plan: EvaluationPlan) -> None:
    store.set_meta(PLAN_META, plan.to_json())


def load_plan(store: RunStore) -> EvaluationPlan | None:
    saved = store.get_meta(PLAN_META)
    return EvaluationPlan.from_json(saved) if saved else None


def build_eval_models(loaded: LoadedRecipe, specs: Sequence[Any], src: YamlSource,
                      loc: PathKey = ()) -> Labelled:
    """(label, model) pairs for model specs; `teacher` is the recipe's teacher and `student`
    is left for the run to load (None), as in a recipe's `evaluate.models`."""
    out: Labelled = []
    for i, spec in enumerate(specs):
        where = (*loc, i)
        if spec in RESERVED_MODEL_NAMES:
            if spec == "teacher" and loaded.teacher_model is None:
                raise src.error(where, f"`teacher` is named but {loaded.path} has no teacher")
            out.append((spec, loaded.teacher_model if spec == "teacher" else None))
            continue
        model = build_model(loaded.host, spec, where, src)
        out.append((model.display_name, model))
    _refuse_twice([label for label, _ in out], lambda twice: src.error(
        loc, f"two models are both labelled {twice!r}; each model must have its own label"))
    return out


def _refuse_twice(labels: list[str], error: Any) -> None:
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise error(twice[0])


def model_option(text: str) -> Any:
    """A `--model` value: `provider/model-id`, `teacher`, or an inline YAML mapping such as
    `{openai: {model: gpt-4.1-mini, base_url: "http://localhost:8000/v1"}}`."""
    if not text.lstrip().startswith("{"):
        return text
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"--model {text}: not a valid YAML mapping ({exc})") from None
    if not isinstance(spec, dict) or len(spec) != 1:
        raise UsageError(f"--model {text}: write one provider, `{{provider: {{options}}}}`")
    return spec


def build_cli_models(loaded: LoadedRecipe, options: Sequence[Any]) -> Labelled:
    """Models from `--model` values; an error names the value it is about."""
    out: Labelled = []
    for option in options:
        spec = model_option(option) if isinstance(option, str) else option
        try:
            out += build_eval_models(loaded, [spec], YamlSource("--model", {}, {}))
        except RecipeError as exc:
            raise UsageError(f"--model {option}: {exc.detail}") from None
    _refuse_twice([label for label, _ in out], lambda twice: UsageError(
        f"two --model values are both labelled {twice!r}; each model must have its own label"))
    return out


def build_metrics(loaded: LoadedRecipe, specs: Sequence[Any], src: YamlSource,
                  loc: PathKey = ()) -> list[Metric]:
    return [build_plugin(loaded.host, "metric", s, (*loc, i), src)  # type: ignore[misc]
            for i, s in enumerate(specs)]
