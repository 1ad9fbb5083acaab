"""The generate stage: the teacher and its strategy over the train and validation documents.

Each document's strategy runs as a coroutine whose `attempt` goes through the request
pipeline (`teacher.execution: online`, bounded by `teacher.concurrency`), or is gathered into
provider batches (`execution: batch`, see `distil.engine.batch`). Either way the document's
outcome is recorded by `record_outcome` once its strategy returns.

On resume, documents whose outcome is stored are skipped, except those that `failed` (every
request failed, say the provider was down): they are asked again, and the run says how many.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable

from distil.engine.attempts import DocumentAttempts
from distil.engine.context import GENERATE, TEACHER, RunContext
from distil.engine.outcome import record_outcome
from distil.engine.progress import stage_progress
from distil.types import Document
from distil.wording import plural

async def gather_all(coros: Iterable[Awaitable[object]]) -> None:
    """Run all; when some fail, let the others finish (their requests are paid for and get
    committed) and then raise the first failure."""
    results = await asyncio.gather(*coros, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r


def work_to_do(ctx: RunContext) -> list[tuple[str, Document]]:
    """(split, document) pairs still to generate: not yet done, or failed before."""
    splits = ctx.splits()
    if ctx.recipe.spec.corpus.split is None:
        work = [("train", d) for d in splits["train"]]
    else:
        work = [(name, d) for name in ("train", "validation") for d in splits[name]]
    done = ctx.store.outcomes()
    retry = [d.id for _, d in work if done.get(d.id, {}).get("status") == "failed"]
    if retry:
        ctx.say(f"generate: asking again for {plural(len(retry), 'document')} that failed "
                f"before")
    return [(s, d) for s, d in work if d.id not in done or d.id in retry]


def document_attempts(ctx: RunContext, doc: Document) -> DocumentAttempts:
    """The `attempt` a strategy gets for `doc`: each call one request through the pipeline."""
    model, pipeline = ctx.recipe.teacher_model, ctx.pipeline
    assert model is not None
    constraints = ctx.constraints_for(doc)

    def one(messages, restart, round_, params):
        return pipeline.send(pipeline.prepare(GENERATE, TEACHER, model, doc, messages, restart,
                                              round_, params, constraints))

    def many(messages, n, params):
        return pipeline.send_n(GENERATE, TEACHER, model, doc, messages, n, params, constraints)

    return DocumentAttempts(one, many if model.supports_n() else None)


async def generate(ctx: RunContext) -> None:
    recipe = ctx.recipe
    if recipe.teacher_model is None or recipe.strategy is None:
        ctx.skip("generate: nothing to do: the recipe has no teacher")
        return
    # every answer of the teacher's requests is judged (and exported) as the strategy
    # postprocesses it, on every path below
    ctx.pipeline.postprocessors[(GENERATE, TEACHER)] = recipe.strategy.postprocess
    if recipe.spec.teacher.execution == "ray":  # type: ignore[union-attr]
        from distil.engine.ray_rounds import generate_with_ray  # streams the corpus itself

        await generate_with_ray(ctx)
        ctx.mark(GENERATE, "done")
        return
    todo = work_to_do(ctx)
    if recipe.spec.teacher.execution == "batch":  # type: ignore[union-attr]
        from distil.engine.batch import generate_in_batches

        await generate_in_batches(ctx, todo)
    else:
        await _generate_online(ctx, todo)
    ctx.mark(GENERATE, "done")


async def _generate_online(ctx: RunContext, todo: list[tuple[str, Document]]) -> None:
    recipe = ctx.recipe
    model, strategy = recipe.teacher_model, recipe.strategy
    assert model is not None and strategy is not None
    sem = asyncio.Semaphore(recipe.spec.teacher.concurrency)  # type: ignore[union-attr]
    with stage_progress("generate", len(todo), ctx.options.progress,
                        counts=("accepted", "failed")) as bar:
        async def one(split: str, doc: Document) -> None:
            async with sem:
                attempt = document_attempts(ctx, doc)
                attempts = await strategy.solve(doc, ctx.prompt_for(doc), attempt, model,
                                                ctx.constraints_for(doc))
                status, cost = record_outcome(ctx.store, strategy, doc.id, split, attempts,
                                              attempt.ids)
                bar.advance(cost=cost, **{status: 1})

        await gather_all(one(s, d) for s, d in todo)
