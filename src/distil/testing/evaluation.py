"""One recipe's evaluation from a test: the engine's evaluate and report stages, figures back.

`evaluate_recipe` builds the evaluation plan (`distil.engine.evaluation.plan_for`) and runs it
with the real `Runner` in a run directory of its own, so a test sees exactly the figures
`distil eval` would print. `EvalResult` holds them (results.json's dict) with the pass rate
and metrics at hand, so a prompt change can be gated in CI::

    result = distil_eval("recipes/quickstart.yaml", model="replay/outputs.jsonl")
    assert result.pass_rate >= 0.9

`cache_key` names what the figures depend on (the recipe as resolved, the corpus's documents,
each model's identity, split and limit), so the pytest plugin can keep them between sessions.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distil.kinds import Model


@dataclass(frozen=True)
class ModelResult:
    """One evaluated model's figures (results.json's `models[label]`)."""

    label: str
    figures: dict[str, Any]

    @property
    def metrics(self) -> dict[str, Any]:
        return self.figures.get("metrics", {})

    @property
    def pass_rate(self) -> float | None:
        """The share of answers passing every constraint (the `pass_rate` metric)."""
        rate = self.metrics.get("pass_rate")
        if not isinstance(rate, dict):
            raise KeyError(f"model {self.label!r}: the recipe's metrics have no pass_rate")
        return rate.get("rate")


@dataclass(frozen=True)
class EvalResult:
    """What one evaluation gave: results.json's figures and where the run was kept."""

    results: dict[str, Any]
    run_dir: Path | None
    cached: bool = False

    @property
    def models(self) -> dict[str, ModelResult]:
        return {label: ModelResult(label, fig)
                for label, fig in (self.results.get("models") or {}).items()}

    def __getitem__(self, label: str) -> ModelResult:
        return self.models[label]

    def _only(self) -> ModelResult:
        models = list(self.models.values())
        if len(models) != 1:
            raise ValueError(f"{len(models)} models were evaluated "
                             f"({', '.join(self.models) or 'none'}); pick one: result[label]")
        return models[0]

    @property
    def pass_rate(self) -> float | None:
        """The pass rate of the one evaluated model."""
        return self._only().pass_rate

    @property
    def metrics(self) -> dict[str, Any]:
        """The metrics of the one evaluated model."""
        return self._only().metrics


def _spec_of(model: Any) -> Any:
    """A JSON-ready spec (what the run's stored plan keeps) for a model value."""
    if isinstance(model, Model):
        return {model.plugin_name: model.model_dump(mode="json")}
    return model


def build_plan(recipe: str | Path, model: Any = None, *, limit: int | None = None,
               split: str | None = None, plugins_dirs: tuple[str, ...] = ()):
    """The loaded recipe and the evaluation plan for `model` (a spec string such as
    `replay/outputs.jsonl` or `teacher`, a mapping, a built Model, a list of those, or None:
    the recipe's own evaluate.models)."""
    from distil.engine.evaluation import plan_for
    from distil.recipe import load_recipe

    loaded = load_recipe(recipe, plugins_dirs)
    models = [] if model is None else list(model) if isinstance(model, (list, tuple)) else [model]
    if any(isinstance(m, Model) for m in models):
        if not all(isinstance(m, Model) for m in models):
            raise TypeError("model: give either built models or model specs, not both")
        plan = plan_for(loaded, models=[_spec_of(m) for m in models], split=split, limit=limit,
                        eval_models=[(m.display_name, m) for m in models])
    else:
        plan = plan_for(loaded, models=models, split=split, limit=limit)
    return loaded, plan


def cache_key(loaded: Any, plan: Any) -> str:
    """A digest of everything the figures depend on; any change gives another key."""
    from distil.recipe.loaded import dump_resolved
    from distil.recipe.preflight import read_documents

    docs = hashlib.sha256()
    for doc in read_documents(loaded):
        docs.update(json.dumps(doc.to_dict(), sort_keys=True, ensure_ascii=False).encode())
    identities = [[label, dict(m.cache_identity()) if m is not None else None]
                  for label, m in plan._live_models or ()]
    # the models by identity, not as written: a replay file in a fresh tmp folder each session
    # is the same model when its content is the same
    planned = {k: v for k, v in plan.to_json().items() if k != "models"}
    payload = json.dumps({"recipe": dump_resolved(loaded), "documents": docs.hexdigest(),
                          "plan": planned, "models": identities},
                         sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def run_plan(loaded: Any, plan: Any, run_dir: Path, *, use_cache: bool = True) -> EvalResult:
    """The evaluate and report stages of `plan` in `run_dir`, through the real engine."""
    from distil.engine.context import RunOptions
    from distil.engine.runner import Runner

    runner = Runner(loaded, run_dir, RunOptions(progress=False, use_cache=use_cache), plan=plan)
    asyncio.run(runner.run(("evaluate", "report")))
    return EvalResult(json.loads(json.dumps(runner.last_results, default=str)), run_dir)


def evaluate_recipe(recipe: str | Path, model: Any = None, *, run_dir: Path,
                    limit: int | None = None, split: str | None = None,
                    use_cache: bool = True) -> EvalResult:
    """Run one recipe's evaluation in `run_dir` and return its figures (no figure cache)."""
    loaded, plan = build_plan(recipe, model, limit=limit, split=split)
    return run_plan(loaded, plan, run_dir, use_cache=use_cache)
