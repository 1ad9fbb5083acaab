"""A run store of schema version 2 (before `raw_output`) still opens, reports and resumes.

`open_db` brings it to the current version in place, in one transaction: the attempts, the
outcomes and the figures are the same afterwards, a resumed run pays for nothing again, and a
migration that fails leaves the store exactly as it was.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from distil.engine import store_file
from distil.engine.store import RunStore
from distil.engine.store_file import SCHEMA_VERSION, StoreError
from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import env, summary_reply, write_recipe

SPLIT = {"train": 3, "validation": 1, "test": 2}


def make_v2(store: Path) -> None:
    """The store as distil with schema 2 wrote it: no raw_output column, user_version 2."""
    db = sqlite3.connect(store)
    db.execute("ALTER TABLE attempts DROP COLUMN raw_output")
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()


def version_and_columns(store: Path) -> tuple[int, set[str]]:
    db = sqlite3.connect(store)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        columns = {r[1] for r in db.execute("PRAGMA table_info(attempts)")}
    finally:
        db.close()
    return version, columns


@pytest.fixture
def old_run(loopback_server, tmp_path) -> Path:
    loopback_server.responder = summary_reply
    recipe = write_recipe(tmp_path, loopback_server.url, docs=6, split=SPLIT)
    out = distil("run", str(recipe), "--run-dir", "run", "--no-cache", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    make_v2(tmp_path / "run" / "store.sqlite")
    assert version_and_columns(tmp_path / "run" / "store.sqlite")[0] == 2
    return tmp_path / "run"


def test_a_v2_store_is_read_as_it_is_then_resumed_after_migrating(old_run, loopback_server):
    store = old_run / "store.sqlite"
    before = [r.attempt for r in storeview.attempts(old_run)]  # attached: read, not migrated
    assert before and all(a.raw_output is None for a in before)
    assert version_and_columns(store)[0] == 2
    results = json.loads((old_run / "results.json").read_text(encoding="utf-8"))
    train = (old_run / "train.jsonl").read_bytes()

    storeview.forget_outcomes(old_run)  # killed after committing, before deciding
    sent = len(loopback_server.requests)
    out = distil("run", "--resume", str(old_run), "--no-cache", cwd=old_run.parent, env=env())
    assert out.returncode == 0, out.stderr
    assert len(loopback_server.requests) == sent  # every answer came from the old store
    version, columns = version_and_columns(store)
    assert version == SCHEMA_VERSION and "raw_output" in columns
    assert [r.attempt for r in storeview.attempts(old_run)] == before
    assert (old_run / "train.jsonl").read_bytes() == train
    again = json.loads((old_run / "results.json").read_text(encoding="utf-8"))
    assert again["generate"] == results["generate"]
    assert again["models"] == results["models"]


def test_report_opens_a_v2_store(old_run):
    out = distil("report", str(old_run), cwd=old_run.parent, env=env())
    assert out.returncode == 0, out.stderr
    assert version_and_columns(old_run / "store.sqlite")[0] == SCHEMA_VERSION


def test_a_failed_migration_leaves_the_store_as_it_was(old_run, monkeypatch):
    store = old_run / "store.sqlite"
    monkeypatch.setitem(store_file.MIGRATIONS, 2, (
        "ALTER TABLE attempts ADD COLUMN raw_output TEXT", "SELECT no_such_column FROM meta"))
    with pytest.raises(StoreError, match="could not bring the run store from schema version 2"):
        RunStore.open(store)
    assert version_and_columns(store)[0] == 2
    assert "raw_output" not in version_and_columns(store)[1]
    monkeypatch.undo()
    RunStore.open(store).close()  # once the migration is sound again, it opens


def test_two_processes_opening_an_old_store_migrate_it_once(old_run):
    store = old_run / "store.sqlite"
    first, second = store_file.connect(store), store_file.connect(store)
    try:  # both read version 2; the second takes the lock after the first has migrated
        assert store_file.migrate(first, 2) == SCHEMA_VERSION
        assert store_file.migrate(second, 2) == SCHEMA_VERSION
    finally:
        first.close()
        second.close()
    assert version_and_columns(store) == (SCHEMA_VERSION, version_and_columns(store)[1])
    RunStore.open(store).close()
