"""The request pipeline: every model request distil makes goes through here, once.

For one request, in order:

1. its identity (`Request.key`): model, model params, messages, call params (a fresh
   conversation, restart > 0, gets its own seed: seed + restart);
2. the run store: a request this run already answered is not sent again (resume);
3. the response cache shared across runs (`Request.ckey`, which adds the request's position
   in its strategy, so a refine retry is never served the answer it is retrying);
4. the budget (`--max-cost`), reserved before sending and settled with the real cost;
5. the model's slot (`max_concurrency`), its rate limiter (rpm/tpm) and retries;
6. the strategy's `postprocess` (countdown strips its markers: the cache and the store keep the
   model's own text, the processed text is what is judged and exported), the constraints'
   verdicts, then the commit to the run store *before* the caller sees it.

The concurrent generate stage, the evaluate stage, the metrics that ask models (judge) and the
Batch API and Ray paths all use it; those two use steps 1-4 and 6 (`stored`, `cached`,
`reserve`/`settle`, `remember`, `commit`) and send a round through the provider's batch or a
Ray Data pass instead of 5 (`distil.engine.rounds`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from distil.engine.budget import Budget
from distil.engine.cache import ResponseCache, cache_key
from distil.engine.limits import RateLimiter, estimate_tokens
from distil.engine.retry import RetryPolicy, with_retries
from distil.engine.store import RunStore, request_key
from distil.errors import ModelError
from distil.kinds import ConstraintSet, Model
from distil.kinds.model import DOC_ID_PARAM
from distil.types import Attempt, Completion, Document, Message, Verdict

Stored = tuple[int, Attempt]  # (row id in the run store, the attempt)
Postprocess = Callable[[str], str]  # the model's text -> the text the constraints judge


def model_identity(model: Model) -> dict[str, Any]:
    """What identifies a model's answers: its plugin, model id and request params."""
    return {**model.cache_identity(), "params": model.params}


def seeded(model: Model, params: Mapping[str, Any] | None, restart: int) -> dict[str, Any]:
    """The call's params; a fresh conversation (restart > 0) gets its own seed, seed + restart,
    so it does not repeat the first."""
    call_params: dict[str, Any] = dict(params or {})
    seed = model.params.get("seed")
    if restart and isinstance(seed, int) and "seed" not in call_params:
        call_params["seed"] = seed + restart
    return call_params


@dataclass(frozen=True, eq=False)
class Request:
    """One request, with where it belongs (stage, label, document, position) and its keys."""

    stage: str
    label: str
    model: Model
    doc: Document
    messages: tuple[Message, ...]
    restart: int
    round: int
    params: dict[str, Any]  # as sent
    constraints: ConstraintSet
    key: str  # its identity in the run store
    ckey: str  # its key in the response cache; '' when it is not cached
    postprocess: Postprocess | None = None  # the strategy's, applied before judging

    def attempt(self, completion: Completion | None, error: str | None,
                verdicts: Sequence[Verdict] | None = None) -> Attempt:
        """The judged attempt for this request's answer (or failure), as the model wrote it:
        the strategy's `postprocess` gives the text that is judged and kept. `verdicts`, when
        given, were reached where the answer came in (a Ray worker judged it)."""
        raw = None
        if completion is not None and self.postprocess is not None:
            text = self.postprocess(completion.text)
            if text != completion.text:
                raw, completion = completion.text, replace(completion, text=text)
        if verdicts is None:
            verdicts = self.constraints.check(completion.text, self.doc) if completion else ()
        return Attempt(self.doc.id, self.restart, self.round, self.messages, completion,
                       tuple(verdicts), error, raw)


class RequestPipeline:
    """Owns the run store, the response cache, the budget, the slots, limiters and retries."""

    def __init__(self, store: RunStore, cache: ResponseCache | None, budget: Budget,
                 seed: int = 0) -> None:
        self.store = store
        self.cache = cache
        self.budget = budget
        self._rng = random.Random(seed)
        self._slots: dict[int, asyncio.Semaphore] = {}
        self._limiters: dict[int, RateLimiter] = {}
        # (stage, label) -> the strategy's postprocess, for every request of that stage and
        # model label, whichever path prepares it (online, Batch API, rounds)
        self.postprocessors: dict[tuple[str, str], Postprocess] = {}

    # -- identity -----------------------------------------------------------------------------
    def prepare(self, stage: str, label: str, model: Model, doc: Document,
                messages: Sequence[Message], restart: int, round_: int,
                params: Mapping[str, Any] | None, constraints: ConstraintSet) -> Request:
        call_params = seeded(model, params, restart)
        identity = model_identity(model)
        ckey = (cache_key(identity, messages, call_params, restart, round_)
                if self.cache is not None and model.cacheable else "")
        return Request(stage, label, model, doc, tuple(messages), restart, round_, call_params,
                       constraints, request_key(identity, messages, call_params), ckey,
                       self.postprocessors.get((stage, label)))

    def _choices(self, stage: str, label: str, model: Model, doc: Document,
                 messages: Sequence[Message], n: int, params: Mapping[str, Any] | None,
                 constraints: ConstraintSet) -> list[Request]:
        """The `n` candidates of one request with the API's `n` (restarts 0..n-1, round 0)."""
        call_params = dict(params or {})
        identity = model_identity(model)
        caching = self.cache is not None and model.cacheable
        return [Request(stage, label, model, doc, tuple(messages), i, 0, call_params,
                        constraints,
                        request_key(identity, messages, {**call_params, "n": n, "_choice": i}),
                        cache_key(identity, messages, {**call_params, "n": n}, i, 0)
                        if caching else "", self.postprocessors.get((stage, label)))
                for i in range(n)]

    # -- the steps ----------------------------------------------------------------------------
    def stored(self, req: Request) -> Stored | None:
        """The answered attempt this run already stored for exactly this request."""
        return self.store.find_attempt(req.stage, req.label, req.doc.id, req.restart,
                                       req.round, req.key)

    def cached(self, req: Request) -> Completion | None:
        """The cache's answer, marked `cached` and costing this run nothing."""
        if not req.ckey or self.cache is None:
            return None
        completion = self.cache.get(req.ckey)
        if completion is None:
            return None
        return replace(completion, cost=0.0 if completion.cost is not None else None,
                       cached=True)

    def remember(self, req: Request, completion: Completion) -> None:
        """Put a fresh answer in the response cache."""
        if req.ckey and self.cache is not None:
            self.cache.put(req.ckey, completion)

    def reserve(self, req: Request, n: int = 1) -> float:
        """Reserve the request's estimated cost (raises BudgetExceeded past `--max-cost`)."""
        asked = req.params if n == 1 else {**req.params, "n": n}
        return self.budget.reserve(req.model, req.messages, asked)

    def settle(self, reserved: float, cost: float | None) -> None:
        self.budget.settle(reserved, cost)

    def commit(self, req: Request, completion: Completion | None, error: str | None,
               verdicts: Sequence[Verdict] | None = None) -> Stored:
        """Judge and commit one attempt (`verdicts`: already judged); only then is it
        returned."""
        attempt = req.attempt(completion, error, verdicts)
        return self.store.add_attempt(req.stage, req.label, req.key, attempt), attempt

    # -- whole requests -----------------------------------------------------------------------
    async def send(self, req: Request) -> Stored:
        """The stored attempt, else the cached answer, else one paid request; committed."""
        found = self.stored(req)
        return found if found is not None else await self._answer(req)

    async def _answer(self, req: Request) -> Stored:
        """The cached answer, else one paid request; judged and committed."""
        completion = self.cached(req)
        error = None
        if completion is None:
            fresh, error = await self._paid(req, None)
            completion = fresh[0] if fresh else None
            if completion is not None:
                self.remember(req, completion)
        return self.commit(req, completion, error)

    async def send_n(self, stage: str, label: str, model: Model, doc: Document,
                     messages: Sequence[Message], n: int, params: Mapping[str, Any] | None,
                     constraints: ConstraintSet) -> list[Stored]:
        """`n` candidates from one request with the API's `n`.

        Per candidate: the run store, then the cache; the model is asked once for all that are
        still missing, and the candidates that response brought are committed together. A
        server that returned fewer choices than asked (some ignore `n`) is asked for the rest
        one by one, each with its own seed.
        """
        reqs = self._choices(stage, label, model, doc, messages, n, params, constraints)
        done: dict[int, Stored] = {}
        got: dict[int, Completion] = {}
        for i, req in enumerate(reqs):
            found = self.stored(req)
            if found is not None:
                done[i] = found
            elif (cached := self.cached(req)) is not None:
                got[i] = cached
        missing = [i for i in range(n) if i not in done and i not in got]
        error = None
        if missing:
            fresh, error = await self._paid(reqs[0], len(missing))
            for i, completion in zip(missing, fresh):
                got[i] = completion
                self.remember(reqs[i], completion)
        failed = missing if error else []
        judged = [(reqs[i], reqs[i].attempt(got.get(i), error if i in failed else None))
                  for i in sorted([*got, *failed])]
        ids = self.store.add_attempts(stage, label, [(r.key, a) for r, a in judged])
        done.update({r.restart: (attempt_id, a) for attempt_id, (r, a) in zip(ids, judged)})
        short = [i for i in missing if i not in got and not error]
        # asked alone, each with seed + index, filed under the candidate's own keys
        rest = await asyncio.gather(*(
            self._answer(replace(reqs[i], params=seeded(model, reqs[i].params, i)))
            for i in short))
        done.update(zip(short, rest))
        return [done[i] for i in range(n)]

    async def _paid(self, req: Request, n: int | None) -> tuple[list[Completion], str | None]:
        """A request within the budget: its completions (n of them at most, or one), or no
        completions and the failure's reason."""
        reserved = self.reserve(req, n or 1)
        fresh: list[Completion] = []
        try:
            fresh = await self._complete(req, n)
        except ModelError as exc:  # the reason as the model plugin words it, for grouping
            return [], str(exc)
        finally:
            self.settle(reserved, _total_cost(fresh))
        return fresh, None

    async def _complete(self, req: Request, n: int | None) -> list[Completion]:
        """One request through the model's slot, rate limiter and retries."""
        model, params = req.model, req.params
        if model.wants_doc_id:  # e.g. replay, which looks answers up by document id
            params = {**params, DOC_ID_PARAM: req.doc.id}
        slot = self._slot(model)
        limiter = self._limiter(model)
        policy = RetryPolicy(attempts=model.retries + 1, base_delay=model.retry_base_delay)

        async def send() -> list[Completion]:
            entry = None
            if limiter is not None:
                max_tokens = params.get("max_tokens", model.params.get("max_tokens"))
                entry = await limiter.acquire(estimate_tokens(req.messages, max_tokens, n or 1))
            started = time.perf_counter()
            if n is None:
                result = [await model.complete(req.messages, params)]
            else:
                result = await model.complete_n(req.messages, n, params)
            if entry is not None:
                limiter.settle(entry, sum(c.usage.total_tokens for c in result))
            latency = time.perf_counter() - started
            result = [c if c.latency else replace(c, latency=latency) for c in result]
            return result[: n or 1]

        async def call() -> list[Completion]:
            # The slot first, then the rate limiter: the limiter's clock must read when the
            # request is sent, not when it started queueing for a slot.
            if slot is None:
                return await send()
            async with slot:
                return await send()

        return await with_retries(call, policy, self._rng)

    def _slot(self, model: Model) -> asyncio.Semaphore | None:
        if model.max_concurrency is None:
            return None
        return self._slots.setdefault(id(model), asyncio.Semaphore(model.max_concurrency))

    def _limiter(self, model: Model) -> RateLimiter | None:
        if model.rpm is None and model.tpm is None:
            return None
        return self._limiters.setdefault(id(model), RateLimiter(model.rpm, model.tpm))

    def close(self) -> None:
        self.store.close()
        if self.cache is not None:
            self.cache.close()


def _total_cost(completions: Sequence[Completion]) -> float | None:
    costs = [c.cost for c in completions if c.cost is not None]
    return sum(costs) if costs else None
