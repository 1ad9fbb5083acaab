"""The generate stage through a provider's batch API (`teacher.execution: batch`).

Every document's strategy runs as it does online, as a coroutine, but its `attempt` does not
call the model: it answers from the run store or the response cache when it can, and otherwise
parks the request. When every unfinished document is waiting on a parked request, the parked
requests become one *wave*, sent as one batch (split at 50,000 requests, the Batch API's
limit). For `refine` a wave is one refine round across all documents; for `best_of_n` all
candidates travel together. Results are judged by the constraints, committed to the store,
and handed back to the strategies, whose feedback turns make the next wave.

Resuming: a batch's id and its requests (custom_id -> request key) are written to the store's
meta *before* polling starts. A resumed run replays the strategies from the store (committed
attempts cost nothing), arrives at the same parked requests, and re-attaches to the batch
holding them instead of paying for them again.

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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from distil.engine.attempts import DocumentAttempts
from distil.engine.cache import cache_key
from distil.engine.outcome import record_outcome
from distil.engine.progress import StageProgress, stage_progress
from distil.engine.prompting import render_prompt
from distil.engine.retry import RetryPolicy, with_retries
from distil.engine.store import request_key
from distil.errors import DistilError, UsageError
from distil.kinds.batch import BatchCapable, BatchResult, BatchStatus, supports_batch
from distil.types import Attempt, Completion, Document, Message

if TYPE_CHECKING:
    from distil.engine.runner import Runner

GENERATE, LABEL = "generate", "teacher"
META_KEY = "batches"
MAX_REQUESTS_PER_BATCH = 50_000


class BatchFailed(DistilError):
    """The provider failed a batch as a whole; its reasons are in the message."""


@dataclass(eq=False)
class Parked:
    """A request waiting for the next wave, and the strategy waiting for its answer."""

    doc: Document
    restart: int
    round: int
    messages: tuple[Message, ...]
    params: dict[str, Any]
    key: str
    ckey: str
    future: asyncio.Future[tuple[int, Attempt]]
    tries: int = 0
    reserved: float = 0.0

    @property
    def custom_id(self) -> str:
        return f"{self.doc.id}/{self.restart}/{self.round}"


@dataclass
class WaveCounts:
    answered: int = 0
    retried: int = 0
    failed: int = 0
    extra: Counter[str] = field(default_factory=Counter)


async def generate_in_batches(runner: Runner, todo: Sequence[tuple[str, Document]]) -> None:
    """Generate for `todo` ((split, document) pairs) through the teacher's batch API."""
    await BatchGeneration(runner).run(todo)


class BatchGeneration:
    def __init__(self, runner: Runner) -> None:
        recipe = runner.recipe
        model = recipe.teacher_model
        if model is None or recipe.strategy is None or not supports_batch(model):
            raise UsageError("execution: batch needs a teacher model with a batch API "
                             "(the `openai` model)")
        self.runner = runner
        self.store = runner.store
        self.model: Any = model
        self.api: BatchCapable = model  # type: ignore[assignment]
        self.strategy = recipe.strategy
        self.poll_interval = recipe.spec.teacher.poll_interval  # type: ignore[union-attr]
        self.identity = {**model.cache_identity(), "params": model.params}
        self.use_cache = runner.cache is not None and model.cacheable
        self.policy = RetryPolicy(attempts=model.retries + 1, base_delay=model.retry_base_delay)
        self.rng = random.Random(recipe.spec.corpus.seed)
        self.parked: list[Parked] = []
        self.waiting: Counter[str] = Counter()  # doc id -> its parked, unanswered requests
        self.blocked = 0  # documents with at least one parked, unanswered request
        self.active = 0
        self.wave_ready = asyncio.Event()

    # -- the documents' side ------------------------------------------------------------------
    async def run(self, todo: Sequence[tuple[str, Document]]) -> None:
        with stage_progress("generate (batch)", len(todo), self.runner.options.progress,
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
            constraints = self.runner.constraints_for(doc)
            prompt = render_prompt(self.runner.recipe.spec.prompt, doc)
            # Candidates of best_of_n travel as separate lines of the same batch job.
            attempt = DocumentAttempts(
                lambda messages, restart, round_, params:
                self._attempt(doc, tuple(messages), restart, round_, params))
            attempts = await self.strategy.solve(doc, prompt, attempt, self.model, constraints)
            status, cost = record_outcome(self.store, self.strategy, doc.id, split, attempts,
                                          attempt.ids)
            bar.advance(cost=cost, **{status: 1})
        finally:
            self.active -= 1
            self._check_wave()

    async def _attempt(self, doc: Document, messages: tuple[Message, ...], restart: int,
                       round_: int, params: Mapping[str, Any] | None) -> tuple[int, Attempt]:
        """The store, then the cache, then park for the next wave (as Runner.request does
        online, with the wave in place of the model)."""
        call_params: dict[str, Any] = dict(params or {})
        seed = self.model.params.get("seed")
        if restart and isinstance(seed, int) and "seed" not in call_params:
            call_params["seed"] = seed + restart
        key = request_key(self.identity, messages, call_params)
        found = self.store.find_attempt(GENERATE, LABEL, doc.id, restart, round_, key)
        if found is not None:
            return found
        ckey = cache_key(self.identity, messages, call_params, restart, round_)
        cached = self.runner.cache.get(ckey) if self.use_cache else None  # type: ignore[union-attr]
        if cached is not None:
            self.runner.cache_hits += 1
            cached = replace(cached, cost=0.0 if cached.cost is not None else None)
            return self._commit(doc, messages, restart, round_, key, cached, None)
        future: asyncio.Future[tuple[int, Attempt]] = asyncio.get_running_loop().create_future()
        self.parked.append(Parked(doc, restart, round_, messages, call_params, key, ckey, future))
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

    def _commit(self, doc: Document, messages: tuple[Message, ...], restart: int, round_: int,
                key: str, completion: Completion | None, error: str | None
                ) -> tuple[int, Attempt]:
        constraints = self.runner.constraints_for(doc)
        verdicts = constraints.check(completion.text, doc) if completion is not None else ()
        attempt = Attempt(doc.id, restart, round_, messages, completion, verdicts, error)
        return self.store.add_attempt(GENERATE, LABEL, key, attempt), attempt

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
        records: list[dict[str, Any]] = self.store.get_meta(META_KEY, [])
        pending = {(p.custom_id, p.key): p for p in wave}
        groups: list[tuple[str, list[Parked]]] = []
        for record in records:  # a resumed run: re-attach instead of paying again
            if record.get("status") != "submitted":
                continue
            covered = [pending.pop((cid, key)) for cid, key in record["requests"].items()
                       if (cid, key) in pending]
            if covered:
                _say(f"batch {record['id']}: re-attaching ({_requests(len(covered))})")
                groups.append((record["id"], covered))
        rest = list(pending.values())
        for start in range(0, len(rest), MAX_REQUESTS_PER_BATCH):
            chunk = rest[start:start + MAX_REQUESTS_PER_BATCH]
            groups.append((await self._submit(chunk, records), chunk))
        await asyncio.gather(*(self._finish(batch_id, chunk) for batch_id, chunk in groups))

    async def _submit(self, chunk: list[Parked], records: list[dict[str, Any]]) -> str:
        budget = self.runner.budget
        lines = [self.api.batch_line(p.custom_id, p.messages, p.params) for p in chunk]
        wave = len(records) + 1
        # the run directory's name only: a full path can carry a user name off the machine
        metadata = {"distil_run": self.runner.run_dir.name[-500:], "distil_wave": str(wave)}
        try:
            for p in chunk:  # --max-cost: refuse the batch before anything is paid
                p.reserved = budget.reserve(self.model, p.messages, p.params)
            batch_id, file_id = await with_retries(
                lambda: self.api.batch_submit(lines, metadata), self.policy, self.rng)
        except BaseException:
            for p in chunk:
                budget.settle(p.reserved, None)
                p.reserved = 0.0
            raise
        records.append({"id": batch_id, "input_file_id": file_id, "wave": wave,
                        "requests": {p.custom_id: p.key for p in chunk}, "status": "submitted"})
        self.store.set_meta(META_KEY, records)  # before polling: a resumed run re-attaches
        _say(f"batch {batch_id}: submitted {_requests(len(chunk))} (wave {wave})")
        return batch_id

    async def _finish(self, batch_id: str, chunk: list[Parked]) -> None:
        status = await self._poll(batch_id)
        if status.status == "failed":
            self._set_record_status(batch_id, "failed")
            for p in chunk:
                self.runner.budget.settle(p.reserved, None)
            reasons = "; ".join(status.errors) or "no reason given"
            raise BatchFailed(f"batch {batch_id} failed: {reasons}")
        results = await with_retries(lambda: self.api.batch_results(status), self.policy,
                                     self.rng)
        by_id: dict[str, BatchResult] = {}
        for r in results:  # an answer beats an error line for the same request
            if r.custom_id not in by_id or r.completion is not None:
                by_id[r.custom_id] = r
        counts = WaveCounts()
        for p in chunk:
            self._settle(p, by_id.get(p.custom_id), status, counts)
        self._set_record_status(batch_id, "done")
        _say(f"batch {batch_id}: {status.status}: {counts.answered} answered, "
             f"{counts.retried} to retry in the next round, {counts.failed} failed")

    def _settle(self, p: Parked, result: BatchResult | None, status: BatchStatus,
                counts: WaveCounts) -> None:
        if result is not None and result.completion is not None:
            self.runner.budget.settle(p.reserved, result.completion.cost)
            if self.use_cache:
                self.runner.cache.put(p.ckey, result.completion)  # type: ignore[union-attr]
            _resolve(p, self._commit(p.doc, p.messages, p.restart, p.round, p.key,
                                     result.completion, None))
            counts.answered += 1
            return
        self.runner.budget.settle(p.reserved, None)
        p.reserved = 0.0
        error = result.error if result is not None else (
            f"no result for {p.custom_id} in batch {status.id} ({status.status})")
        retryable = result.retryable if result is not None else True
        p.tries += 1
        if retryable and p.tries <= self.model.retries:
            self.parked.append(p)  # the next wave sends it again
            counts.retried += 1
            return
        _resolve(p, self._commit(p.doc, p.messages, p.restart, p.round, p.key, None, error))
        counts.failed += 1

    async def _poll(self, batch_id: str) -> BatchStatus:
        last: tuple[str, int, int] | None = None
        try:
            while True:
                status = await with_retries(lambda: self.api.batch_status(batch_id),
                                            self.policy, self.rng)
                seen = (status.status, status.completed, status.failed)
                if seen != last:
                    _say(f"batch {batch_id}: {status.status} ({status.completed}/{status.total} "
                         f"done, {status.failed} failed)")
                    last = seen
                if status.done:
                    return status
                await asyncio.sleep(self.poll_interval)
        except (asyncio.CancelledError, KeyboardInterrupt):
            _say(f"batch {batch_id} keeps running at the provider; `distil run --resume "
                 f"{self.runner.run_dir}` collects its results")
            raise

    def _set_record_status(self, batch_id: str, status: str) -> None:
        records = self.store.get_meta(META_KEY, [])
        for record in records:
            if record["id"] == batch_id:  # finished: its request map is no longer needed
                record["status"] = status
                record["request_count"] = len(record.pop("requests", None) or ())
        self.store.set_meta(META_KEY, records)


def _resolve(p: Parked, result: tuple[int, Attempt]) -> None:
    if not p.future.done():  # a cancelled document (the run is stopping) wants no answer
        p.future.set_result(result)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _requests(n: int) -> str:
    return f"{n} request" + ("" if n == 1 else "s")
