"""The run store: a SQLite database (WAL) of every attempt, outcome and evaluation record.

An attempt is committed before the engine counts it, so a run killed at any point loses only
the requests that were in flight. On resume, a request whose attempt is already stored (same
stage, model, document, position and request content) is answered from the store instead of
the model: nothing paid for is paid twice.

A store is created once, with the run (`RunStore.create`), and every later use opens it with
`RunStore.open`, which refuses a file that is missing, empty, not SQLite, damaged, or written
by another version of this schema: a run whose record cannot be read must never be "resumed"
from nothing (paying again for everything) or re-rendered as empty figures.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from distil.engine.store_file import attach_db, create_db, open_db
from distil.types import Attempt, Completion, EvalRecord, Message, Usage, Verdict

def request_key(model_identity: Mapping[str, Any], messages: Sequence[Message],
                params: Mapping[str, Any]) -> str:
    """Content address of a request: model, messages and parameters."""
    payload = json.dumps(
        {"model": dict(model_identity), "messages": [m.to_dict() for m in messages],
         "params": dict(params)},
        sort_keys=True, ensure_ascii=False, default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class RunStore:
    """All persistent state of one run. One connection, used from the event loop thread.

    Make one with `create` (a new run) or `open` (anything that reads or continues a run).
    """

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self.db = db

    @classmethod
    def create(cls, path: Path) -> RunStore:
        """A new, empty store at `path` (which must not exist yet)."""
        return cls(path, create_db(path))

    @classmethod
    def open(cls, path: Path) -> RunStore:
        """The existing store at `path`, checked: refused (StoreError) when it is missing,
        empty, not a SQLite database, damaged, or of another schema version."""
        return cls(path, open_db(path))

    def close(self) -> None:
        self.db.close()

    # -- attempts -------------------------------------------------------------------------
    def add_attempt(self, stage: str, model: str, key: str, attempt: Attempt) -> int:
        return self._insert_attempt(stage, model, key, attempt)

    def add_attempts(self, stage: str, model: str,
                     keyed: Sequence[tuple[str, Attempt]]) -> list[int]:
        """Several attempts from one paid request, committed together or not at all."""
        self.db.execute("BEGIN")
        try:
            ids = [self._insert_attempt(stage, model, key, a) for key, a in keyed]
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return ids

    def _insert_attempt(self, stage: str, model: str, key: str, attempt: Attempt) -> int:
        c = attempt.completion
        cur = self.db.execute(
            "INSERT INTO attempts (stage, model, doc_id, restart, round, request_key, messages,"
            " completion, verdicts, prompt_tokens, completion_tokens, cost, latency, error,"
            " passed, finish_reason, cached, created, raw_output)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                stage, model, attempt.doc_id, attempt.restart, attempt.round, key,
                json.dumps([m.to_dict() for m in attempt.messages], ensure_ascii=False),
                json.dumps(c.to_dict(), ensure_ascii=False) if c else None,
                json.dumps([v.to_dict() for v in attempt.verdicts], ensure_ascii=False),
                c.usage.prompt_tokens if c else 0, c.usage.completion_tokens if c else 0,
                c.cost if c else None, c.latency if c else 0.0, attempt.error,
                int(attempt.passed), c.finish_reason if c else None, int(bool(c and c.cached)),
                time.time(), attempt.raw_output,
            ),
        )
        return int(cur.lastrowid)

    def find_attempt(self, stage: str, model: str, doc_id: str, restart: int, round_: int,
                     key: str) -> tuple[int, Attempt] | None:
        """A stored successful attempt for exactly this request, if any."""
        row = self.db.execute(
            "SELECT * FROM attempts WHERE stage=? AND model=? AND doc_id=? AND restart=? AND "
            "round=? AND request_key=? AND error IS NULL ORDER BY id LIMIT 1",
            (stage, model, doc_id, restart, round_, key),
        ).fetchone()
        if row is None:
            return None
        return row[0], self._attempt_from_row(row)

    def _attempt_from_row(self, r: sqlite3.Row) -> Attempt:
        comp = json.loads(r["completion"]) if r["completion"] else None
        completion = None
        if comp is not None:
            completion = Completion(
                text=comp["text"], usage=Usage(**comp["usage"]), cost=comp["cost"],
                latency=comp["latency"], finish_reason=comp.get("finish_reason"),
                model=comp.get("model"), cached=bool(comp.get("cached")),
            )
        return Attempt(
            doc_id=r["doc_id"], restart=r["restart"], round=r["round"],
            messages=tuple(Message(m["role"], m["content"]) for m in json.loads(r["messages"])),
            completion=completion,
            verdicts=tuple(Verdict.from_dict(v) for v in json.loads(r["verdicts"])),
            error=r["error"],
            # a store attached as it is (tools) may predate the column (schema 2)
            raw_output=r["raw_output"] if "raw_output" in r.keys() else None,
        )

    def attempt(self, attempt_id: int) -> Attempt:
        row = self.db.execute("SELECT * FROM attempts WHERE id=?", (attempt_id,)).fetchone()
        return self._attempt_from_row(row)

    def attempt_figures(self, stage: str) -> dict[str, Any]:
        """A stage's attempt counts and cost, from SQL: a summary need not decode every row.

        `truncated` counts answers cut off by the token limit (`finish_reason: length`)."""
        row = self.db.execute(
            "SELECT COUNT(*), SUM(restart=0 AND round=0), SUM(restart=0 AND round=0 AND passed),"
            " SUM(finish_reason='length') FROM attempts WHERE stage=?", (stage,)).fetchone()
        costs = [c for (c,) in self.db.execute(
            "SELECT cost FROM attempts WHERE stage=? AND cost IS NOT NULL", (stage,))]
        return {"attempts": row[0], "first_shot": row[1] or 0, "first_shot_passed": row[2] or 0,
                "truncated": row[3] or 0,
                "cost": math.fsum(costs) if costs else None}  # exact: same in any order

    # A failed request is "unresolved" until the same request (same stage, model, document,
    # position and content) is answered, as a resumed run does when it asks again.
    _UNRESOLVED = ("a.error IS NOT NULL AND NOT EXISTS (SELECT 1 FROM attempts b WHERE"
                   " b.stage=a.stage AND b.model=a.model AND b.doc_id=a.doc_id AND"
                   " b.restart=a.restart AND b.round=a.round AND b.request_key=a.request_key"
                   " AND b.error IS NULL)")

    def failure_reasons(self, stage: str | None = None) -> dict[str, int]:
        """Why requests failed for good, grouped by reason, most frequent first."""
        sql = f"SELECT a.error, COUNT(*) FROM attempts a WHERE {self._UNRESOLVED}"
        args: tuple[Any, ...] = ()
        if stage is not None:
            sql, args = sql + " AND a.stage=?", (stage,)
        rows = self.db.execute(sql + " GROUP BY a.error ORDER BY COUNT(*) DESC, a.error", args)
        return {r[0]: r[1] for r in rows}

    def totals(self) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cached)"
            " FROM attempts"
        ).fetchone()
        errors = self.db.execute(
            f"SELECT COUNT(*) FROM attempts a WHERE {self._UNRESOLVED}").fetchone()[0]
        # math.fsum is exactly rounded, so the total does not depend on the order attempts
        # were committed in: a resumed run reports the very figure an uninterrupted one does
        cost = math.fsum(c for (c,) in self.db.execute(
            "SELECT cost FROM attempts WHERE cost IS NOT NULL"))
        return {"requests": row[0], "prompt_tokens": row[1] or 0,
                "completion_tokens": row[2] or 0, "cost": cost,
                "cached": row[3] or 0, "request_errors": errors}

    # -- generation outcomes ------------------------------------------------------------------
    def set_outcome(self, doc_id: str, split: str, status: str, attempt_id: int | None,
                    attempts: int, cost: float | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO outcomes VALUES (?,?,?,?,?,?)",
            (doc_id, split, status, attempt_id, attempts, cost),
        )

    def outcomes(self) -> dict[str, dict[str, Any]]:
        rows = self.db.execute("SELECT doc_id, split, status, attempt_id, attempts, cost "
                               "FROM outcomes")
        return {r[0]: {"split": r[1], "status": r[2], "attempt_id": r[3], "attempts": r[4],
                       "cost": r[5]} for r in rows}

    # -- evaluation records -----------------------------------------------------------------
    def add_eval_record(self, record: EvalRecord, attempt_id: int | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO eval_records VALUES (?,?,?,?)",
            (record.model, record.doc_id, attempt_id,
             json.dumps(record.to_dict(), ensure_ascii=False)),
        )

    def eval_records(self, model: str | None = None) -> list[EvalRecord]:
        sql = "SELECT record FROM eval_records" + (" WHERE model=?" if model else "")
        out = []
        # a fixed order, not the order requests happened to finish in: metrics that resample
        # (bootstrap intervals) must give a resumed run the figures of an uninterrupted one
        for (text,) in self.db.execute(sql + " ORDER BY model, doc_id",
                                       (model,) if model else ()):
            d = json.loads(text)
            out.append(EvalRecord(
                model=d["model"], doc_id=d["doc_id"], output=d["output"],
                verdicts=tuple(Verdict.from_dict(v) for v in d["verdicts"]),
                latency=d["latency"], usage=Usage(**d["usage"]), cost=d["cost"],
                error=d["error"], finish_reason=d.get("finish_reason"),
                cached=bool(d.get("cached")),
            ))
        return out

    def eval_failures(self) -> int:
        """Evaluation records whose request failed (a resumed run asks them again)."""
        return self.db.execute("SELECT COUNT(*) FROM eval_records WHERE"
                               " json_extract(record, '$.error') IS NOT NULL").fetchone()[0]

    def eval_models(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT model FROM eval_records GROUP BY model ORDER BY MIN(rowid)")]

    # -- meta ----------------------------------------------------------------------------------
    def set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                        (key, json.dumps(value, ensure_ascii=False)))

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    # -- read API for tools and tests --------------------------------------------------------
    # What a tool or a test needs to look at a run without knowing the schema
    # (tests/storeview.py reads runs only through these and the methods above).
    @classmethod
    def attach(cls, path: Path, *, readonly: bool = True) -> RunStore:
        """The store at `path` as it is, read-only unless `readonly=False`; usable while a run
        is writing it. Nothing is checked, created or changed on opening: a missing file or
        missing tables raise sqlite3.OperationalError. A run itself uses `open`/`create`."""
        return cls(path, attach_db(path, readonly=readonly))

    def attempt_rows(self, stage: str | None = None
                     ) -> list[tuple[int, str, str, str, Attempt]]:
        """Every attempt (of `stage`, or of all stages) in the order it was committed, as
        (attempt id, stage, model label, request key, attempt)."""
        sql = "SELECT * FROM attempts" + (" WHERE stage=?" if stage else "") + " ORDER BY id"
        return [(r["id"], r["stage"], r["model"], r["request_key"], self._attempt_from_row(r))
                for r in self.db.execute(sql, (stage,) if stage else ())]

    def forget_outcomes(self) -> int:
        """Delete every generation outcome and keep the attempts: the state a run is in when
        it was killed after committing attempts but before deciding their documents. Returns
        how many outcomes were deleted."""
        return self.db.execute("DELETE FROM outcomes").rowcount
