"""Rounds: strategies run as coroutines whose requests are gathered and sent together.

The Batch API path (`distil.engine.batch`) and the Ray path (`distil.engine.ray_rounds`) work
this way. Every document's strategy runs as it does online, but its `attempt` does not call
the model: it answers from the run store or the response cache when it can (the pipeline's
`stored` and `cached`), and otherwise *parks* the request. When every open task is waiting on
a parked request, the parked requests are one *round*, handed to `send_round` at once. For
`refine` a round is one refine round across the open documents; for `best_of_n` all
candidates travel together. Each answer is judged, committed to the run store and only then
handed back to its strategy, whose feedback turn parks the next round's request.

`send_round` is the only part a path writes: a provider's batch, a Ray Data pass. It settles
every request of its round with `answered` (priced, cached, committed) or `failed` (parked
again for the next round while retries last, else committed as a failed attempt).

Tasks are started from an iterator, at most `window` open at once, so a path that streams its
documents keeps a bounded number of strategies (and their conversations) in memory.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from distil.engine.attempts import DocumentAttempts
from distil.engine.context import GENERATE, TEACHER, RunContext
from distil.engine.outcome import record_outcome
from distil.engine.progress import StageProgress
from distil.engine.requests import Request, RequestPipeline, Stored
from distil.types import Completion, Document, Verdict
from distil.wording import plural

Job = Callable[[], Awaitable[None]]


@dataclass(eq=False)
class Parked:
    """A request waiting for the next round, and the strategy waiting for its answer."""

    req: Request
    future: asyncio.Future[Stored]
    tries: int = 0
    reserved: float = 0.0

    @property
    def custom_id(self) -> str:
        return f"{self.req.doc.id}/{self.req.restart}/{self.req.round}"

    @property
    def key(self) -> str:
        return self.req.key


class Rounds:
    """The round mechanism; subclasses implement `send_round`."""

    def __init__(self, pipeline: RequestPipeline) -> None:
        self.pipeline = pipeline
        self.parked: list[Parked] = []
        self.waiting: Counter[int] = Counter()  # task -> its parked, unanswered requests
        self.blocked = 0  # open tasks with at least one parked, unanswered request
        self.active = 0  # open tasks
        self.rounds = 0  # rounds sent so far
        self.round_ready = asyncio.Event()
        self._jobs: Iterator[Job] = iter(())
        self._window = math.inf
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._error: BaseException | None = None

    # -- the tasks' side ----------------------------------------------------------------------
    async def run(self, jobs: Iterable[Job], window: int | None = None) -> None:
        """Run every job (a document's strategy, an evaluation answer) to its end, sending
        rounds as they form; at most `window` jobs open at once."""
        self._jobs, self._window = iter(jobs), window or math.inf
        self._refill()
        try:
            await self._drive()
        finally:
            tasks = list(self._tasks.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._error is not None:
            raise self._error

    def _refill(self) -> None:
        while self.active < self._window and self._error is None:
            job = next(self._jobs, None)
            if job is None:
                return
            self.active += 1
            task = asyncio.create_task(self._job(job))
            self._tasks[id(task)] = task

    async def _job(self, job: Job) -> None:
        me = id(asyncio.current_task())
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # the first failure stops the run, after this round
            if self._error is None:
                self._error = exc
        finally:
            self._tasks.pop(me, None)
            self.active -= 1
            self._refill()
            self._check_round()

    async def ask(self, req: Request) -> Stored:
        """The store, then the cache, then park for the next round (the pipeline's steps, with
        the round in place of sending)."""
        found = self.pipeline.stored(req)
        if found is not None:
            return found
        cached = self.pipeline.cached(req)
        if cached is not None:
            return self.pipeline.commit(req, cached, None)
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self.parked.append(Parked(req, future))
        me = id(asyncio.current_task())
        self.waiting[me] += 1
        if self.waiting[me] == 1:
            self.blocked += 1
        self._check_round()
        try:
            return await future
        finally:
            self.waiting[me] -= 1
            if self.waiting[me] == 0:
                del self.waiting[me]
                self.blocked -= 1

    def _check_round(self) -> None:
        """Wake the driver when every open task waits on a parked request."""
        if self.active <= 0 or self._error is not None or (
                self.parked and self.blocked >= self.active):
            self.round_ready.set()

    # -- the rounds' side ---------------------------------------------------------------------
    async def _drive(self) -> None:
        while self.active > 0 and self._error is None:
            await self.round_ready.wait()
            await self._quiesce()
            self.round_ready.clear()
            if self._error is not None:
                break
            if not self.parked:
                self._check_round()
                continue
            wave, self.parked = self.parked, []
            self.rounds += 1
            await self.send_round(wave)
            self._check_round()

    async def _quiesce(self) -> None:
        """Let tasks that are about to park do so (gathered candidates start a loop turn late),
        so one round holds them all. Only an optimisation: a late request goes in the next."""
        stable, last = 0, len(self.parked)
        while stable < 3:
            await asyncio.sleep(0)
            stable, last = (stable + 1, last) if len(self.parked) == last else (0,
                                                                                 len(self.parked))

    async def send_round(self, wave: list[Parked]) -> None:
        """Send `wave` and settle each of its requests with `answered` or `failed`."""
        raise NotImplementedError

    # -- settling one request ---------------------------------------------------------------
    def answered(self, p: Parked, completion: Completion,
                 verdicts: Sequence[Verdict] | None = None) -> None:
        """A fresh answer: its cost settled, cached, committed, then handed to the strategy.
        `verdicts`, when given, were reached where the answer was received (a Ray worker)."""
        self.pipeline.settle(p.reserved, completion.cost)
        p.reserved = 0.0
        self.pipeline.remember(p.req, completion)
        resolve(p, self.pipeline.commit(p.req, completion, None, verdicts))

    def failed(self, p: Parked, error: str, retryable: bool) -> bool:
        """A request that brought no answer: parked again for the next round while its model's
        `retries` last (True), else committed as a failed attempt (False)."""
        self.pipeline.settle(p.reserved, None)
        p.reserved = 0.0
        p.tries += 1
        if retryable and p.tries <= p.req.model.retries:
            self.parked.append(p)
            return True
        resolve(p, self.pipeline.commit(p.req, None, error))
        return False


def resolve(p: Parked, result: Stored) -> None:
    if not p.future.done():  # a cancelled task (the run is stopping) wants no answer
        p.future.set_result(result)


def strategy_jobs(ctx: RunContext, rounds: Rounds, todo: Iterable[tuple[str, Document]],
                  bar: StageProgress) -> Iterator[Job]:
    """One job per (split, document): its strategy, with every attempt asked of `rounds`, and
    its outcome recorded when the strategy returns (as online)."""
    model, strategy = ctx.recipe.teacher_model, ctx.recipe.strategy
    assert model is not None and strategy is not None
    for split, doc in todo:
        async def job(split: str = split, doc: Document = doc) -> None:
            constraints = ctx.constraints_for(doc)
            # candidates of best_of_n are separate requests of the same round
            attempt = DocumentAttempts(
                lambda messages, restart, round_, params: rounds.ask(ctx.pipeline.prepare(
                    GENERATE, TEACHER, model, doc, messages, restart, round_, params,
                    constraints)))
            attempts = await strategy.solve(doc, ctx.prompt_for(doc), attempt, model,
                                            constraints)
            status, cost = record_outcome(ctx.store, strategy, doc.id, split, attempts,
                                          attempt.ids)
            bar.advance(cost=cost, **{status: 1})

        yield job


def streamed_work(ctx: RunContext) -> tuple[Iterator[tuple[str, Document]], int]:
    """The documents still to generate (none yet, or failed before), streamed from the corpus
    in its order, and how many: the driver holds their ids, not the documents."""
    ids = ctx.split_ids()
    names = ("train",) if ctx.recipe.spec.corpus.split is None else ("train", "validation")
    done = ctx.store.outcomes()
    wanted: dict[str, str] = {}
    retry = 0
    for name in names:
        for doc_id in ids[name]:
            status = done.get(doc_id, {}).get("status")
            if status is None or status == "failed":
                wanted[doc_id] = name
                retry += status == "failed"
    if retry:
        ctx.say(f"generate: asking again for {plural(retry, 'document')} that failed before")
    return ctx.stream_documents(wanted), len(wanted)
