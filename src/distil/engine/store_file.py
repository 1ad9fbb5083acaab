"""The run store's file: its schema, and creating or opening it with checks.

A store is created once, with the run, and every later use opens it checked: a file that is
missing, empty, not SQLite, damaged, or written by another version of this schema is refused
with one line naming it. A run whose record cannot be read must never be "resumed" from
nothing (paying again for everything) or re-rendered as empty figures.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from distil.errors import UsageError

# Bumped whenever a table changes shape; a store of another version is refused, not guessed at,
# except the versions in MIGRATIONS, which `open_db` brings up to date in place.
SCHEMA_VERSION = 3
TABLES = ("attempts", "outcomes", "eval_records", "meta")

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    stage TEXT NOT NULL,
    model TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    restart INTEGER NOT NULL,
    round INTEGER NOT NULL,
    request_key TEXT NOT NULL,
    messages TEXT NOT NULL,
    completion TEXT,
    verdicts TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL,
    latency REAL NOT NULL DEFAULT 0,
    error TEXT,
    passed INTEGER NOT NULL,
    finish_reason TEXT,
    cached INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    raw_output TEXT
);
CREATE INDEX IF NOT EXISTS attempts_lookup
    ON attempts (stage, model, doc_id, restart, round, request_key);
CREATE TABLE IF NOT EXISTS outcomes (
    doc_id TEXT PRIMARY KEY,
    split TEXT NOT NULL,
    status TEXT NOT NULL,
    attempt_id INTEGER,
    attempts INTEGER NOT NULL,
    cost REAL
);
CREATE TABLE IF NOT EXISTS eval_records (
    model TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    attempt_id INTEGER,
    record TEXT NOT NULL,
    PRIMARY KEY (model, doc_id)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# version -> the statements that bring a store of that version to the next one. Each step runs
# in one transaction with its new user_version, so a store is either migrated or untouched.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 3: the text as the model wrote it, when the strategy's postprocess changed it (countdown)
    2: ("ALTER TABLE attempts ADD COLUMN raw_output TEXT",),
}


class StoreError(UsageError):
    """A run store that cannot be used as it is; the message names the file and what to do."""


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)  # autocommit: each write commits
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def create_db(path: Path) -> sqlite3.Connection:
    """A new, empty store at `path` (which must not exist yet)."""
    if path.exists():
        raise StoreError(f"{path}: a run store is already there; resume that run with "
                         f"`distil run --resume {path.parent}` or choose another --run-dir")
    db = connect(path)
    db.executescript(SCHEMA)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return db


def open_db(path: Path) -> sqlite3.Connection:
    """The existing store at `path`, checked (StoreError when it cannot be used)."""
    where = f"{path}: "
    if not path.is_file():
        raise StoreError(where + "the run store is missing; this run's record is gone, so it "
                         "can be neither resumed nor re-rendered (start a new run)")
    if path.stat().st_size == 0:
        raise StoreError(where + "the run store is empty (0 bytes); refusing to resume or "
                         "re-render from nothing (restore it from a backup, or start a new run)")
    try:
        db = connect(path)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        check = db.execute("PRAGMA quick_check").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(where + f"not a readable run store ({exc}); restore it from a backup, "
                         f"or start a new run") from None
    if check != "ok":
        db.close()
        raise StoreError(where + f"the run store is damaged ({check}); restore it from a "
                         f"backup, or start a new run")
    if version in MIGRATIONS and set(TABLES) <= tables:
        try:
            version = migrate(db, version)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise StoreError(where + f"could not bring the run store from schema version "
                             f"{version} to {SCHEMA_VERSION} ({exc}); it is unchanged") from None
    if version != SCHEMA_VERSION or not set(TABLES) <= tables:
        db.close()
        raise StoreError(where + f"a run store of schema version {version}, but this distil "
                         f"reads version {SCHEMA_VERSION}; use the distil that made the run, or "
                         f"start a new run")
    return db


def migrate(db: sqlite3.Connection, version: int) -> int:
    """Bring an older store up to SCHEMA_VERSION in place, one step per transaction; returns
    the version it is at (another process may have migrated it meanwhile)."""
    while version in MIGRATIONS:
        db.execute("BEGIN IMMEDIATE")  # the write lock first, then read the version again
        try:
            now = db.execute("PRAGMA user_version").fetchone()[0]
            if now == version:
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={version + 1}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        version = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def attach_db(path: Path, *, readonly: bool = True) -> sqlite3.Connection:
    """The store at `path` as it is, for tools and tests: nothing checked or changed."""
    uri = f"file:{path}" + ("?mode=ro" if readonly else "?mode=rw")
    db = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
    db.row_factory = sqlite3.Row
    return db
