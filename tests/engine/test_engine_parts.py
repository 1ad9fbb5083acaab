"""The engine's parts on their own, fast: the limiter's spacing, the store's fixed orders and
exact sums, the cache's durability setting, the progress bar's status line."""

from __future__ import annotations

import asyncio
import math
import random
import time

from hypothesis import given, settings, strategies as st

from distil.engine.cache import ResponseCache
from distil.engine.limits import RateLimiter
from distil.engine.progress import StageProgress
from distil.engine.store import RunStore
from distil.types import Attempt, Completion, EvalRecord, Message, Usage


def test_limiter_spaces_requests_by_sixty_over_rpm():
    async def times() -> list[float]:
        limiter = RateLimiter(rpm=1200, tpm=None)  # one every 50 ms
        return [(await limiter.acquire(10))[0] for _ in range(6)]

    t = asyncio.run(times())
    assert all(b - a >= 0.05 - 1e-6 for a, b in zip(t, t[1:]))


def test_limiter_without_rpm_does_not_wait():
    async def elapsed() -> float:
        limiter = RateLimiter(rpm=None, tpm=10**9)
        started = time.monotonic()
        for _ in range(100):
            await limiter.acquire(10)
        return time.monotonic() - started

    assert asyncio.run(elapsed()) < 0.5


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1,
                max_size=30), st.randoms())
def test_store_cost_total_is_the_same_in_any_commit_order(tmp_path_factory, costs, rng):
    totals = []
    for order in (list(costs), rng.sample(costs, len(costs))):
        store = RunStore.create(tmp_path_factory.mktemp("store") / "store.sqlite")
        for i, cost in enumerate(order):
            completion = Completion("x", Usage(1, 1), cost=cost)
            store.add_attempt("generate", "teacher", f"k{i}",
                              Attempt(f"d{i}", 0, 0, (Message("user", "u"),), completion))
        totals.append(store.totals()["cost"])
        store.close()
    assert totals[0] == totals[1] == math.fsum(costs)


def test_store_reads_evaluation_records_in_a_fixed_order(tmp_path):
    ids = [f"d{i:02d}" for i in range(20)]
    shuffled = random.Random(3).sample(ids, len(ids))
    store = RunStore.create(tmp_path / "store.sqlite")
    for doc_id in shuffled:  # the order requests happened to finish in
        store.add_eval_record(EvalRecord("teacher", doc_id, "out"), None)
    assert [r.doc_id for r in store.eval_records("teacher")] == ids
    store.close()


def test_cache_does_not_sync_the_disk_on_every_entry(tmp_path):
    cache = ResponseCache(tmp_path)
    assert cache.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert cache.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL, not FULL
    cache.close()


def test_progress_status_shows_counts_cost_and_rate():
    bar = StageProgress(None, None, counts=("accepted", "failed"))
    assert bar.status() == "accepted 0  failed 0"  # shown from the start, before any cost
    bar.advance(cost=0.25, accepted=1)
    bar.advance(cost=None, rejected=1)
    bar.advance(cost=0.5, failed=1)
    status = bar.status(now=bar._started + 30)  # three documents in half a minute
    assert status == "accepted 1  failed 1  rejected 1  $0.7500  6 docs/min"
    assert bar.done == 3
