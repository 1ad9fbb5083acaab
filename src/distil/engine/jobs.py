"""Long provider jobs, followed one way: a Batch API batch and a fine-tuning job alike.

Both are submitted once, then run at the provider for minutes to hours and are paid for whether
or not distil is still watching. So both follow the same rules, written here once:

1. **Saved before polling.** The job's id is committed to the run store (meta key `jobs`, the
   run's `JobLedger`) as soon as the provider returns it, before the first status check: a run
   killed at any later point knows its job.
2. **Re-attached on resume.** A resumed run finds the job recorded under the same key and
   follows it instead of submitting (and paying for) another.
3. **Polled without blocking.** Status checks wait with `asyncio.sleep`, so the event loop
   keeps serving everything else while a job runs; a status check that fails for a moment
   (`TransientModelError`) is tried again at the next interval, up to `max_failures` in a row.
4. **Ctrl-C leaves the job running.** When the task is cancelled (asyncio.run's first Ctrl-C)
   the job is left at the provider and the user is told how to come back to it, unless the
   caller's `cancel` hook chose to cancel it.

The key names the work, not the attempt: the same work on resume gives the same key, so the
same job. What a job is for (uploaded files, a batch's request map) rides along in its entry.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from distil.errors import DistilError, TransientModelError

META_KEY = "jobs"
MAX_POLL_FAILURES = 20  # failed status checks in a row before a job is given up on


class JobLost(DistilError):
    """Status checks kept failing; the job may still be running at the provider."""

    exit_code = 1


@dataclass(frozen=True)
class JobState:
    """A job as its provider last reported it. `detail` carries what the caller needs from
    the report (a fine-tuned model's id, a batch's output file)."""

    id: str
    status: str
    done: bool
    failed: bool = False
    detail: Mapping[str, Any] = field(default_factory=dict)


class MetaStore(Protocol):
    """The part of the run store the ledger uses (`distil.engine.store.RunStore`)."""

    def get_meta(self, key: str, default: Any = None) -> Any: ...

    def set_meta(self, key: str, value: Any) -> None: ...


class JobLedger:
    """The run's record of its provider jobs: {key: entry}, one JSON value in the store's meta.

    An entry is a dict: `id` and `status` once the job exists, and whatever else the caller
    noted (`note` works before the job exists, e.g. for files uploaded ahead of it). Every
    change is committed at once.
    """

    def __init__(self, store: MetaStore, run_dir: Path) -> None:
        self.store = store
        self.run_dir = Path(run_dir)

    def entries(self) -> dict[str, dict[str, Any]]:
        """Every job of the run, by key (a copy: change entries through the methods)."""
        return copy.deepcopy(self.store.get_meta(META_KEY, None) or {})

    def find(self, key: str) -> dict[str, Any] | None:
        """The entry this run keeps under `key`, or None."""
        return self.entries().get(key)

    def note(self, key: str, **info: Any) -> dict[str, Any]:
        """Add `info` to the entry under `key` (created if need be); return the entry."""
        entries = self.entries()
        entry = {**entries.get(key, {}), **info}
        entries[key] = entry
        self.store.set_meta(META_KEY, entries)
        return entry

    def record(self, key: str, job_id: str, **info: Any) -> dict[str, Any]:
        """The provider created job `job_id` for `key`: committed before anyone polls it."""
        return self.note(key, id=job_id, status="submitted", **info)

    def finish(self, key: str, status: str, **info: Any) -> dict[str, Any]:
        """The job reached a final status."""
        return self.note(key, status=status, **info)

    def resume_hint(self, job: str) -> str:
        """What to tell a user who stops following `job` ("batch b1", "fine-tuning job j1")."""
        return (f"{job} keeps running at the provider; `distil run --resume {self.run_dir}` "
                "re-attaches")


async def follow(ledger: JobLedger, key: str, *,
                 submit: Callable[[], Awaitable[str]],
                 poll: Callable[[str], Awaitable[JobState]],
                 interval: float,
                 describe: str,
                 say: Callable[[str], None],
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 cancel: Callable[[str], Awaitable[bool]] | None = None,
                 max_failures: int = MAX_POLL_FAILURES) -> JobState:
    """Follow the job recorded under `key` (or `submit` one and record it) until it is done.

    `submit` creates the job and returns its id (it may also find one the provider already
    has, e.g. after a crash between creating a job and recording it). `poll` reports the job's
    state; it is called at once, then every `interval` seconds. `describe` names the job in
    messages ("fine-tuning job"). On cancellation or KeyboardInterrupt, `cancel(job_id)` may
    cancel the job at the provider and return True; otherwise the job is left running and
    `say` gets the resume hint. Returns the final state (a failed job is returned, not raised:
    what a failure means is the caller's to say).
    """
    recorded = ledger.find(key) or {}
    job_id = recorded.get("id")
    if job_id:
        say(f"re-attaching to {describe} {job_id} (recorded in this run); nothing new is "
            "submitted")
    else:
        job_id = await submit()
        ledger.record(key, job_id)
    failures = 0
    try:
        while True:
            try:
                state = await poll(job_id)
            except TransientModelError as exc:
                failures += 1
                if failures >= max_failures:
                    raise JobLost(f"gave up checking {describe} {job_id} after {failures} "
                                  f"failed status checks ({exc}); "
                                  f"{ledger.resume_hint(f'{describe} {job_id}')}") from None
                say(f"{describe} {job_id}: status check failed ({exc}); trying again")
            else:
                failures = 0
                if state.done:
                    ledger.finish(key, state.status)
                    return state
            await sleep(interval)
    except (asyncio.CancelledError, KeyboardInterrupt):
        if cancel is None or not await cancel(job_id):
            say(ledger.resume_hint(f"{describe} {job_id}"))
        raise
