"""What metrics see besides the records: documents, references, and a way to ask a model.

Most metrics only aggregate `EvalRecord`s. A few need more: ROUGE needs a reference (a field of
the document, or the teacher's output from the generate stage) and an LLM judge needs the
source text and a model to ask. `metric_context(ctx)` builds that `context` dict once per
computation of a run's figures; every entry is loaded lazily, so a metric that needs nothing
costs nothing and `distil report` works even when nothing but the store is at hand.

Requests a metric makes go through the run's request pipeline, exactly like the evaluate
stage's: they are cached, retried, rate-limited, counted against `--max-cost` and committed to
the run store (stage = the metric's name). That split keeps `compute` pure: `prepare` (async,
may pay) asks, `compute` (sync) reads back what was stored with `MetricModels.stored`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from distil.engine.requests import Request
from distil.errors import UsageError
from distil.kinds import ConstraintSet, Metric, Model
from distil.recipe.resolve import build_model
from distil.recipe.yaml_source import YamlSource
from distil.types import Completion, Document, Message

if TYPE_CHECKING:
    from distil.engine.context import RunContext
    from distil.engine.evaluation import EvaluationPlan

V = TypeVar("V")
NO_CONSTRAINTS = ConstraintSet(())


class Lazy(Mapping[str, V]):
    """A read-only mapping filled by `load()` the first time anything is looked up."""

    def __init__(self, load: Callable[[], dict[str, V]]) -> None:
        self._load = load
        self._data: dict[str, V] | None = None

    def _get(self) -> dict[str, V]:
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, key: str) -> V:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


class MetricModels:
    """Lets a metric build a model from a spec and ask it, through the engine.

    - `get(spec)`: a model from `provider/model-id`, `{provider: {options}}`, or `teacher`
      (the recipe's teacher); built once per spec.
    - `await complete(purpose, model, doc, messages, params)`: one request through the
      request pipeline, stored under stage `purpose`; the Completion, or None if it failed.
    - `stored(purpose, model, doc, messages, params)`: the Completion a `complete` with the same
      arguments stored earlier in this run, or None. Never sends a request.

    With `offline=True` (`distil report`), `complete` only looks in the store.
    """

    def __init__(self, ctx: RunContext, concurrency: int, *, offline: bool = False) -> None:
        self.ctx = ctx
        self.offline = offline
        self._built: dict[str, Model] = {}
        self._slots = asyncio.Semaphore(concurrency)

    def get(self, spec: Any) -> Model:
        recipe = self.ctx.recipe
        if spec == "teacher":
            if recipe.teacher_model is None:
                raise UsageError(f"{recipe.path}: a metric asks the `teacher` model but the "
                                 f"recipe has no teacher")
            return recipe.teacher_model
        key = json.dumps(spec, sort_keys=True, default=str)
        if key not in self._built:
            where = YamlSource(f"{recipe.path}: metric model", {}, {})
            self._built[key] = build_model(recipe.host, spec, (), where)
        return self._built[key]

    def _request(self, purpose: str, model: Model, doc: Document, messages: Sequence[Message],
                 params: Mapping[str, Any] | None) -> Request:
        return self.ctx.pipeline.prepare(purpose, model.display_name, model, doc, messages, 0,
                                         0, params, NO_CONSTRAINTS)

    async def complete(self, purpose: str, model: Model, doc: Document,
                       messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion | None:
        if self.offline:
            return self.stored(purpose, model, doc, messages, params)
        async with self._slots:
            _, attempt = await self.ctx.pipeline.send(
                self._request(purpose, model, doc, messages, params))
        return attempt.completion if attempt.error is None else None

    def stored(self, purpose: str, model: Model, doc: Document, messages: Sequence[Message],
               params: Mapping[str, Any] | None = None) -> Completion | None:
        found = self.ctx.pipeline.stored(self._request(purpose, model, doc, messages, params))
        return found[1].completion if found is not None else None

    async def aclose(self) -> None:
        built, self._built = list(self._built.values()), {}
        for model in built:
            await model.aclose()


def _teacher_outputs(ctx: RunContext) -> dict[str, str]:
    """The output the generate stage kept for each document (accepted, or kept closest)."""
    out: dict[str, str] = {}
    for doc_id, o in ctx.store.outcomes().items():
        if o["status"] in ("accepted", "closest") and o["attempt_id"] is not None:
            completion = ctx.store.attempt(o["attempt_id"]).completion
            if completion is not None:
                out[doc_id] = completion.text
    return out


def _outputs(ctx: RunContext) -> dict[str, dict[str, str]]:
    return {label: {r.doc_id: r.output for r in ctx.store.eval_records(label)
                    if r.output is not None}
            for label in ctx.store.eval_models()}


def metric_context(ctx: RunContext, plan: EvaluationPlan, *, offline: bool = False
                   ) -> dict[str, Any]:
    """The `context` every metric's `prepare` and `compute` receive (`label` is added per
    model). Documented on `distil.kinds.Metric`."""
    return {
        "constraints": ctx.recipe.constraints,
        "recipe": ctx.recipe.spec,
        "documents": Lazy(ctx.documents),
        "teacher_outputs": Lazy(lambda: _teacher_outputs(ctx)),
        "outputs": Lazy(lambda: _outputs(ctx)),
        "models": MetricModels(ctx, plan.concurrency, offline=offline),
    }


def _overrides_prepare(metric: Metric) -> bool:
    return type(metric).prepare is not Metric.prepare


async def prepare_metrics(ctx: RunContext, plan: EvaluationPlan) -> None:
    """Let every metric that asks models (`prepare`) do so, for each evaluated model."""
    metrics = [m for m in plan.metric_plugins(ctx.recipe) if _overrides_prepare(m)]
    if not metrics:
        return
    base = metric_context(ctx, plan)
    try:
        for label in ctx.store.eval_models():
            records = ctx.store.eval_records(label)
            for metric in metrics:
                await metric.prepare(records, {**base, "label": label})
    finally:
        await base["models"].aclose()
