"""The generate stage through a provider's batch API (`teacher.execution: batch`).

Every document's strategy runs as it does online, as a coroutine, but its `attempt` does not
call the model: it answers from the run store or the response cache when it can, and otherwise
parks the request. When every unfinished document is waiting on a parked request, the parked
requests become one *wave*, sent as one batch (split at 50,000 requests, the Batch API's
limit). For `refine` a wave is one refine round across all documents; for `best_of_n` all
candidates travel together. Results are judged by the constraints, committed to the store,
and handed back to the strategies, whose feedback turns make the next wave.

Resuming: each batch is a provider job followed through the run's job ledger
(`distil.engine.jobs`, key `batch/<wave>/<chunk>`): its requests (custom_id -> request key) are
noted before it is submitted and its id is recorded before polling starts. A resumed run
replays the strategies from the store (committed attempts cost nothing), arrives at the same
parked requests, and re-attaches to the batch holding them instead of paying for them again.

Failures: a request that failed inside a batch (the error file, a 5xx, an expired window) is
parked again for the next wave, up to the model's `retries`; one that cannot succeed (an HTTP
400, the content filter) is committed as a failed attempt at once. A batch that fails as a
whole (the provider refused its input) stops the run with the provider's reasons.

A request's `custom_id` is `<doc id>/<restart>/<round>`: unique within a batch, and readable in
the provider's dashboard.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from distil.engine.attempts import DocumentAttempts
from distil.engine.context import GENERATE, TEACHER, RunContext
from distil.engine.jobs import JobLedger, JobState, follow
from distil.engine.outcome import record_outcome
from distil.engine.progress import StageProgress, stage_progress
from distil.engine.requests import Request, Stored
from distil.engine.retry import RetryPolicy, with_retries
from distil.errors import DistilError, UsageError
from distil.kinds.batch import BatchCapable, BatchResult, BatchStatus, supports_batch
from distil.types import Document, Message
from distil.wording import plural

KEY_PREFIX = "batch/"  # ledger keys of batches: batch/<wave>/<chunk>
MAX_REQUESTS_PER_BATCH = 50_000


class BatchFailed(DistilError):
    """The provider failed a batch as a whole; its reasons are in the message."""


@dataclass(eq=False)
class Parked:
    """A request waiting for the next wave, and the strategy waiting for its answer."""

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


@dataclass
class WaveCounts:
    answered: int = 0
    retried: int = 0
    failed: int = 0
    extra: Counter[str] = field(default_factory=Counter)


async def generate_in_batches(ctx: RunContext, todo: Sequence[tuple[str, Document]]) -> None:
    """Generate for `todo` ((split, document) pairs) through the teacher's batch API."""
    await BatchGeneration(ctx).run(todo)


class BatchGeneration:
    def __init__(self, ctx: RunContext) -> None:
        recipe = ctx.recipe
        model = recipe.teacher_model
        if model is None or recipe.strategy is None or not supports_batch(model):
            raise UsageError("execution: batch needs a teacher model with a batch API "
                             "(the `openai` model)")
        self.ctx = ctx
        self.store = ctx.store
        self.pipeline = ctx.pipeline
        self.model: Any = model
        self.api: BatchCapable = model  # type: ignore[assignment]
        self.strategy = recipe.strategy
        self.poll_interval = recipe.spec.teacher.poll_interval  # type: ignore[union-attr]
        self.ledger = JobLedger(ctx.store, ctx.run_dir)
        self._seen: dict[str, tuple[str, int, int]] = {}  # batch id -> last status printed
        self.policy = RetryPolicy(attempts=model.retries + 1, base_delay=model.retry_base_delay)
        self.rng = random.Random(recipe.spec.corpus.seed)
        self.parked: list[Parked] = []
        self.waiting: Counter[str] = Counter()  # doc id -> its parked, unanswered requests
        self.blocked = 0  # documents with at least one parked, unanswered request
        self.active = 0
        self.wave_ready = asyncio.Event()

    # -- the documents' side ------------------------------------------------------------------
    async def run(self, todo: Sequence[tuple[str, Document]]) -> None:
        with stage_progress("generate (batch)", len(todo), self.ctx.options.progress,
                            counts=("accepted", "failed")) as bar:
            self.active = len(todo)
            tasks = [asyncio.create_task(self._document(split, doc, bar)) for split, doc in todo]
            try:
                await self._drive()
            finally:
                for task in tasks:
                    if not task.done():
                        task.cancel()
                results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result,
                                                                    asyncio.CancelledError):
                raise result

    async def _document(self, split: str, doc: Document, bar: StageProgress) -> None:
        try:
            constraints = self.ctx.constraints_for(doc)
            # Candidates of best_of_n travel as separate lines of the same batch job.
            attempt = DocumentAttempts(
                lambda messages, restart, round_, params:
                self._attempt(doc, tuple(messages), restart, round_, params))
            attempts = await self.strategy.solve(doc, self.ctx.prompt_for(doc), attempt,
                                                 self.model, constraints)
            status, cost = record_outcome(self.store, self.strategy, doc.id, split, attempts,
                                          attempt.ids)
            bar.advance(cost=cost, **{status: 1})
        finally:
            self.active -= 1
            self._check_wave()

    async def _attempt(self, doc: Document, messages: tuple[Message, ...], restart: int,
                       round_: int, params: Mapping[str, Any] | None) -> Stored:
        """The store, then the cache, then park for the next wave (the pipeline's steps,
        with the wave in place of sending)."""
        req = self.pipeline.prepare(GENERATE, TEACHER, self.model, doc, messages, restart,
                                    round_, params, self.ctx.constraints_for(doc))
        found = self.pipeline.stored(req)
        if found is not None:
            return found
        cached = self.pipeline.cached(req)
        if cached is not None:
            return self.pipeline.commit(req, cached, None)
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self.parked.append(Parked(req, future))
        self.waiting[doc.id] += 1
        if self.waiting[doc.id] == 1:
            self.blocked += 1
        self._check_wave()
        try:
            return await future
        finally:
            self.waiting[doc.id] -= 1
            if self.waiting[doc.id] == 0:
                self.blocked -= 1

    def _check_wave(self) -> None:
        """Wake the driver when every unfinished document waits on a parked request."""
        if self.active <= 0 or (self.parked and self.blocked >= self.active):
            self.wave_ready.set()

    # -- the batches' side --------------------------------------------------------------------
    async def _drive(self) -> None:
        while self.active > 0:
            await self.wave_ready.wait()
            await self._quiesce()
            self.wave_ready.clear()
            if not self.parked:
                self._check_wave()
                continue
            wave, self.parked = self.parked, []
            await self._run_wave(wave)
            self._check_wave()

    async def _quiesce(self) -> None:
        """Let tasks that are about to park do so (gathered candidates start a loop turn late),
        so one wave holds them all. Only an optimisation: a late request goes in the next."""
        stable, last = 0, len(self.parked)
        while stable < 3:
            await asyncio.sleep(0)
            stable, last = (stable + 1, last) if len(self.parked) == last else (0,
                                                                                 len(self.parked))

    async def _run_wave(self, wave: list[Parked]) -> None:
        pending = {(p.custom_id, p.key): p for p in wave}
        groups: list[tuple[str, list[Parked]]] = []
        entries = {k: e for k, e in self.ledger.entries().items() if k.startswith(KEY_PREFIX)}
        for key, entry in entries.items():  # a resumed run: re-attach instead of paying again
            if entry.get("status") != "submitted" or not entry.get("id"):
                continue
            covered = [pending.pop((cid, rkey)) for cid, rkey in entry["requests"].items()
                       if (cid, rkey) in pending]
            if covered:
                groups.append((key, covered))
        rest = list(pending.values())
        wave_no = len({e.get("wave") for e in entries.values()}) + 1
        for i, start in enumerate(range(0, len(rest), MAX_REQUESTS_PER_BATCH)):
            chunk = rest[start:start + MAX_REQUESTS_PER_BATCH]
            key = f"{KEY_PREFIX}{wave_no}/{i}"
            self.ledger.note(key, wave=wave_no, requests={p.custom_id: p.key for p in chunk})
            groups.append((key, chunk))
        await asyncio.gather(*(self._finish(key, chunk) for key, chunk in groups))

    async def _submit(self, chunk: list[Parked], wave: int) -> str:
        lines = [self.api.batch_line(p.custom_id, p.req.messages, p.req.params) for p in chunk]
        # the run directory's name only: a full path can carry a user name off the machine
        metadata = {"distil_run": self.ctx.run_dir.name[-500:], "distil_wave": str(wave)}
        try:
            for p in chunk:  # --max-cost: refuse the batch before anything is paid
                p.reserved = self.pipeline.reserve(p.req)
            batch_id, _ = await with_retries(
                lambda: self.api.batch_submit(lines, metadata), self.policy, self.rng)
        except BaseException:
            for p in chunk:
                self.pipeline.settle(p.reserved, None)
                p.reserved = 0.0
            raise
        _say(f"batch {batch_id}: submitted {plural(len(chunk), 'request')} (wave {wave})")
        return batch_id

    async def _poll(self, batch_id: str) -> JobState:
        status = await self.api.batch_status(batch_id)
        seen = (status.status, status.completed, status.failed)
        if seen != self._seen.get(batch_id):
            _say(f"batch {batch_id}: {status.status} ({status.completed}/{status.total} done, "
                 f"{status.failed} failed)")
            self._seen[batch_id] = seen
        return JobState(status.id, status.status, status.done,
                        failed=status.status == "failed", detail={"batch": status})

    async def _finish(self, key: str, chunk: list[Parked]) -> None:
        wave = self.ledger.find(key)["wave"]  # type: ignore[index]
        state = await follow(self.ledger, key, submit=lambda: self._submit(chunk, wave),
                             poll=self._poll, interval=self.poll_interval, describe="batch",
                             say=_say)
        status: BatchStatus = state.detail["batch"]
        done = {"request_count": len(chunk), "requests": None}  # the map is no longer needed
        if state.failed:
            self.ledger.finish(key, "failed", **done)
            for p in chunk:
                self.pipeline.settle(p.reserved, None)
            reasons = "; ".join(status.errors) or "no reason given"
            raise BatchFailed(f"batch {status.id} failed: {reasons}")
        results = await with_retries(lambda: self.api.batch_results(status), self.policy,
                                     self.rng)
        by_id: dict[str, BatchResult] = {}
        for r in results:  # an answer beats an error line for the same request
            if r.custom_id not in by_id or r.completion is not None:
                by_id[r.custom_id] = r
        counts = WaveCounts()
        for p in chunk:
            self._settle(p, by_id.get(p.custom_id), status, counts)
        self.ledger.finish(key, "done", **done)
        _say(f"batch {status.id}: {status.status}: {counts.answered} answered, "
             f"{counts.retried} to retry in the next round, {counts.failed} failed")

    def _settle(self, p: Parked, result: BatchResult | None, status: BatchStatus,
                counts: WaveCounts) -> None:
        if result is not None and result.completion is not None:
            self.pipeline.settle(p.reserved, result.completion.cost)
            self.pipeline.remember(p.req, result.completion)
            _resolve(p, self.pipeline.commit(p.req, result.completion, None))
            counts.answered += 1
            return
        self.pipeline.settle(p.reserved, None)
        p.reserved = 0.0
        error = result.error if result is not None else (
            f"no result for {p.custom_id} in batch {status.id} ({status.status})")
        retryable = result.retryable if result is not None else True
        p.tries += 1
        if retryable and p.tries <= self.model.retries:
            self.parked.append(p)  # the next wave sends it again
            counts.retried += 1
            return
        _resolve(p, self.pipeline.commit(p.req, None, error))
        counts.failed += 1

def _resolve(p: Parked, result: Stored) -> None:
    if not p.future.done():  # a cancelled document (the run is stopping) wants no answer
        p.future.set_result(result)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
