"""A test's view of a run's store, through `RunStore`'s own methods only.

Tests assert what a run stored (attempts, outcomes, evaluation records, totals) without writing
SQL against the schema, so the tables can change shape and only `distil.engine.store` changes
with them. Each function opens the run's store read-only, reads, and closes it again, so it can
look at a run that another process is still writing.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from distil.engine.store import RunStore
from distil.types import Attempt, EvalRecord

STORE = "store.sqlite"


class Stored(NamedTuple):
    """One stored attempt with what the store keeps beside it."""

    id: int
    stage: str
    model: str
    request_key: str
    attempt: Attempt

    @property
    def doc_id(self) -> str:
        return self.attempt.doc_id

    @property
    def position(self) -> tuple[str, str, int, int]:
        """(stage, document, restart, round): where in a run this attempt belongs."""
        a = self.attempt
        return self.stage, a.doc_id, a.restart, a.round

    @property
    def text(self) -> str | None:
        c = self.attempt.completion
        return None if c is None else c.text

    @property
    def cost(self) -> float | None:
        c = self.attempt.completion
        return None if c is None else c.cost


@contextmanager
def reading(run_dir: Path) -> Iterator[RunStore]:
    """The run's store, open for reading for the length of the `with` block."""
    store = RunStore.attach(Path(run_dir) / STORE)
    try:
        yield store
    finally:
        store.close()


def attempts(run_dir: Path, stage: str | None = None) -> list[Stored]:
    """Every stored attempt (of `stage`, or all), in the order they were committed."""
    with reading(run_dir) as store:
        return [Stored(*row) for row in store.attempt_rows(stage)]


def attempt_count(run_dir: Path) -> int:
    """How many attempts are stored; 0 while the run has not made its store yet."""
    if not (Path(run_dir) / STORE).exists():
        return 0
    try:
        with reading(run_dir) as store:
            return store.totals()["requests"]
    except sqlite3.OperationalError:  # the file is there, its tables not yet
        return 0


def attempts_by_stage(run_dir: Path) -> dict[str, int]:
    return dict(Counter(a.stage for a in attempts(run_dir)))


def outcomes(run_dir: Path) -> dict[str, dict[str, Any]]:
    """doc id -> its generation outcome (split, status, attempt_id, attempts, cost)."""
    with reading(run_dir) as store:
        return store.outcomes()


def statuses(run_dir: Path) -> dict[str, str]:
    """doc id -> the status its generation ended with."""
    return {doc: o["status"] for doc, o in outcomes(run_dir).items()}


def kept_attempt(run_dir: Path, doc_id: str) -> Attempt:
    """The attempt the outcome of `doc_id` kept."""
    with reading(run_dir) as store:
        return store.attempt(store.outcomes()[doc_id]["attempt_id"])


def eval_records(run_dir: Path, model: str | None = None) -> list[EvalRecord]:
    with reading(run_dir) as store:
        return store.eval_records(model)


def totals(run_dir: Path) -> dict[str, Any]:
    """Requests, tokens, cost and request errors over every stored attempt."""
    with reading(run_dir) as store:
        return store.totals()


def meta(run_dir: Path, key: str, default: Any = None) -> Any:
    with reading(run_dir) as store:
        return store.get_meta(key, default)


def forget_outcomes(run_dir: Path) -> int:
    """Delete the run's outcomes, keeping its attempts (see RunStore.forget_outcomes)."""
    store = RunStore.attach(Path(run_dir) / STORE, readonly=False)
    try:
        return store.forget_outcomes()
    finally:
        store.close()
