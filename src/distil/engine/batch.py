"""The generate stage through a provider's batch API (`teacher.execution: batch`).

The strategies run in rounds (`distil.engine.rounds`, shared with the Ray path): every
document's strategy parks its next request, and when every unfinished document waits, the
parked requests are one *wave*, sent as one batch (split at 50,000 requests, the Batch API's
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from distil.engine.context import RunContext
from distil.engine.jobs import JobLedger, JobState, follow
from distil.engine.progress import stage_progress
from distil.engine.retry import RetryPolicy, with_retries
from distil.engine.rounds import Parked, Rounds, strategy_jobs
from distil.errors import DistilError, UsageError
from distil.kinds.batch import BatchCapable, BatchResult, BatchStatus, supports_batch
from distil.types import Document
from distil.wording import plural

KEY_PREFIX = "batch/"  # ledger keys of batches: batch/<wave>/<chunk>
MAX_REQUESTS_PER_BATCH = 50_000


class BatchFailed(DistilError):
    """The provider failed a batch as a whole; its reasons are in the message."""


@dataclass
class WaveCounts:
    answered: int = 0
    retried: int = 0
    failed: int = 0
    extra: Counter[str] = field(default_factory=Counter)


async def generate_in_batches(ctx: RunContext, todo: Sequence[tuple[str, Document]]) -> None:
    """Generate for `todo` ((split, document) pairs) through the teacher's batch API."""
    await BatchGeneration(ctx).generate(todo)


class BatchGeneration(Rounds):
    def __init__(self, ctx: RunContext) -> None:
        recipe = ctx.recipe
        model = recipe.teacher_model
        if model is None or recipe.strategy is None or not supports_batch(model):
            raise UsageError("execution: batch needs a teacher model with a batch API "
                             "(the `openai` model)")
        super().__init__(ctx.pipeline)
        self.ctx = ctx
        self.model: Any = model
        self.api: BatchCapable = model  # type: ignore[assignment]
        self.poll_interval = recipe.spec.teacher.poll_interval  # type: ignore[union-attr]
        self.ledger = JobLedger(ctx.store, ctx.run_dir)
        self._seen: dict[str, tuple[str, int, int]] = {}  # batch id -> last status printed
        self.policy = RetryPolicy(attempts=model.retries + 1, base_delay=model.retry_base_delay)
        self.rng = random.Random(recipe.spec.corpus.seed)

    async def generate(self, todo: Sequence[tuple[str, Document]]) -> None:
        with stage_progress("generate (batch)", len(todo), self.ctx.options.progress,
                            counts=("accepted", "failed")) as bar:
            await self.run(strategy_jobs(self.ctx, self, todo, bar))

    # -- the batches' side --------------------------------------------------------------------
    async def send_round(self, wave: list[Parked]) -> None:
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
            self.answered(p, result.completion)
            counts.answered += 1
            return
        error = result.error if result is not None else (
            f"no result for {p.custom_id} in batch {status.id} ({status.status})")
        retryable = result.retryable if result is not None else True
        if self.failed(p, error, retryable):  # the next wave sends it again
            counts.retried += 1
        else:
            counts.failed += 1


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
