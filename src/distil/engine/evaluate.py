"""The evaluate stage: every planned model answers every held-out document once.

Answers go through the request pipeline (store, cache, budget, limits, retries) and become
evaluation records. On resume, a record that holds an answer is kept and one whose request
failed is asked again. Metrics that ask a model themselves (an LLM judge) send their requests
after the answers are in (`prepare_metrics`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any

from distil.engine.context import EVALUATE, RunContext
from distil.engine.evaluation import EvaluationPlan, save_plan
from distil.engine.generate import gather_all
from distil.engine.metric_context import prepare_metrics
from distil.engine.progress import stage_progress
from distil.kinds import Model
from distil.types import Document, EvalRecord, Usage
from distil.wording import plural

NAMES_META = "eval_models"  # label -> the model's display name


def planned_documents(ctx: RunContext, plan: EvaluationPlan) -> list[Document]:
    docs = ctx.splits()[plan.split]
    return docs[: plan.limit] if plan.limit else docs


async def evaluate(ctx: RunContext, plan: EvaluationPlan) -> None:
    save_plan(ctx.store, plan)
    docs = planned_documents(ctx, plan)
    models = plan.model_plugins(ctx.recipe, ctx.store)
    todo: list[tuple[str, Model, Document]] = []
    retrying = 0
    for label, model in models:
        records = {r.doc_id: r for r in ctx.store.eval_records(label)}
        retrying += sum(1 for d in docs if d.id in records and records[d.id].error)
        todo += [(label, model, d) for d in docs
                 if d.id not in records or records[d.id].error]
    if retrying:
        ctx.say(f"evaluate: asking again for {plural(retrying, 'answer')} whose request "
                f"failed before")
    sem: Any = asyncio.Semaphore(plan.concurrency)
    send = ctx.pipeline.send
    rounds = None
    if ctx.recipe.spec.evaluate is not None and ctx.recipe.spec.evaluate.execution == "ray":
        from distil.engine.ray_rounds import evaluation_rounds  # imports ray

        rounds = evaluation_rounds(ctx, models)  # the answers are rounds of Ray Data passes
        sem, send = contextlib.nullcontext(), rounds.ask
    with stage_progress(EVALUATE, len(todo), ctx.options.progress,
                        counts=("passed", "failed"), unit="requests") as bar:
        async def one(label: str, model: Model, doc: Document) -> None:
            async with sem:
                req = ctx.pipeline.prepare(EVALUATE, label, model, doc, ctx.prompt_for(doc),
                                           0, 0, None, ctx.constraints_for(doc))
                attempt_id, a = await send(req)
                c = a.completion
                record = EvalRecord(
                    model=label, doc_id=doc.id, output=c.text if c else None,
                    verdicts=a.verdicts, latency=c.latency if c else 0.0,
                    usage=c.usage if c else Usage(), cost=c.cost if c else None,
                    error=a.error, finish_reason=c.finish_reason if c else None,
                    cached=bool(c and c.cached),
                )
                ctx.store.add_eval_record(record, attempt_id)
                bar.advance(cost=record.cost, passed=int(record.passed),
                            failed=int(not record.passed))

        if rounds is None:
            await gather_all(one(lb, m, d) for lb, m, d in todo)
        else:
            await rounds.run(functools.partial(one, lb, m, d) for lb, m, d in todo)
    ctx.store.set_meta(NAMES_META, {**ctx.store.get_meta(NAMES_META, {}),
                                    **{label: m.display_name for label, m in models}})
    await prepare_metrics(ctx, plan)  # metrics that ask a model (judge) send their requests now
    ctx.mark(EVALUATE, "done")
