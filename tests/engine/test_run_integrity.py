"""A run's record is never lost, overwritten or replaced by less (issue 11, "data loss").

Each test sets up a finished run against the loopback teacher, damages or misuses it the way a
user might, and checks that distil refuses with one line (exit 2, no traceback) and that
nothing already written changed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from distil.engine.store_file import SCHEMA_VERSION
from tests.core.clihelp import distil
from tests.engine.harness import env, summary_reply, write_recipe

SPLIT = {"train": 4, "validation": 1, "test": 3}


@pytest.fixture
def finished(loopback_server, tmp_path) -> Path:
    """A complete run of a small recipe, in tmp_path/run."""
    loopback_server.responder = summary_reply
    recipe = write_recipe(tmp_path, loopback_server.url, docs=8, split=SPLIT)
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    return tmp_path / "run"


def snapshot(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run.iterdir())
            if p.is_file() and not p.name.startswith("store.sqlite")}


def one_line_error(out, *needles: str) -> str:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def truncate_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def other_version(path: Path) -> None:
    """A store written by a newer distil (older versions with a migration are brought up to
    date: tests/engine/test_store_migration.py)."""
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()


DAMAGE = {
    "missing": (lambda p: p.unlink(), "missing"),
    "empty": (lambda p: p.write_bytes(b""), "empty (0 bytes)"),
    "random": (lambda p: p.write_bytes(bytes(range(256)) * 64), "not a readable run store"),
    "half": (truncate_half, "store"),
    "version": (other_version, f"schema version {SCHEMA_VERSION + 1}"),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_report_refuses_a_damaged_store_and_writes_nothing(finished, kind):
    damage, needle = DAMAGE[kind]
    (finished / "store.sqlite-wal").unlink(missing_ok=True)
    damage(finished / "store.sqlite")
    before = snapshot(finished)
    out = distil("report", str(finished), cwd=finished.parent, env=env())
    one_line_error(out, str(finished / "store.sqlite"), needle)
    assert snapshot(finished) == before


@pytest.mark.parametrize("kind", ["empty", "random", "missing"])
def test_resume_refuses_a_damaged_store_and_sends_nothing(finished, loopback_server, kind):
    damage, needle = DAMAGE[kind]
    damage(finished / "store.sqlite")
    sent = len(loopback_server.requests)
    out = distil("run", "--resume", str(finished), cwd=finished.parent, env=env())
    one_line_error(out, needle)
    assert len(loopback_server.requests) == sent  # nothing paid for twice


def test_report_keeps_the_runs_record_and_says_when_it_rendered(finished):
    manifest = json.loads((finished / "manifest.json").read_text())
    results = json.loads((finished / "results.json").read_text())
    assert results["run"]["finished"] == manifest["finished"] is not None
    out = distil("report", str(finished), cwd=finished.parent, env=env())
    assert out.returncode == 0, out.stderr
    again = json.loads((finished / "results.json").read_text())
    assert json.loads((finished / "manifest.json").read_text())["finished"] == \
        manifest["finished"]
    assert again["run"]["finished"] == manifest["finished"]
    assert again["run"]["rendered"] >= results["run"]["rendered"]
    assert again["models"] == results["models"]


def test_report_refuses_to_replace_results_with_fewer_answers(finished):
    # results.json says the teacher answered more than the store now holds
    saved = json.loads((finished / "results.json").read_text())
    saved["models"]["teacher"]["answers"] += 1
    (finished / "results.json").write_text(json.dumps(saved))
    before = snapshot(finished)
    out = distil("report", str(finished), cwd=finished.parent, env=env())
    one_line_error(out, "results.json", "not rewritten")
    assert snapshot(finished) == before


def test_run_dir_holding_someone_elses_files_is_refused(loopback_server, tmp_path):
    recipe = write_recipe(tmp_path, loopback_server.url, docs=8, split=SPLIT)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "results.json").write_text('{"my": "figures"}')
    out = distil("run", str(recipe), "--run-dir", str(mine), cwd=tmp_path, env=env())
    one_line_error(out, "not empty and not a distil run directory")
    assert [p.name for p in mine.iterdir()] == ["results.json"]
    assert (mine / "results.json").read_text() == '{"my": "figures"}'
    assert loopback_server.requests == []


def test_run_dir_of_another_recipe_names_that_recipe(finished, loopback_server, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    recipe = write_recipe(other, loopback_server.url, docs=8, split=SPLIT, name="other-task")
    before = snapshot(finished)
    out = distil("run", str(recipe), "--run-dir", str(finished), cwd=tmp_path, env=env())
    line = one_line_error(out, "a run of recipe 'engine-test'", "not of 'other-task'")
    assert "changed since" not in line
    assert snapshot(finished) == before


def test_a_comment_in_the_recipe_does_not_stop_a_resume(finished, loopback_server, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("# a note added after the run started\n" + recipe.read_text())
    out = distil("run", str(recipe), "--run-dir", str(finished), cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    out = distil("run", "--resume", str(finished), cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr


def test_a_changed_recipe_is_refused_but_resume_uses_the_runs_own_copy(finished, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    data = yaml.safe_load(recipe.read_text())
    data["constraints"] = [{"word_count": {"max": 99}}]
    recipe.write_text(yaml.safe_dump(data))
    out = distil("run", str(recipe), "--run-dir", str(finished), cwd=tmp_path, env=env())
    one_line_error(out, "changed since this run started", "--resume")
    out = distil("run", "--resume", str(finished), cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    copy = yaml.safe_load((finished / "recipe.yaml").read_text())
    assert copy["constraints"] == [{"word_count": {"max": 5}}]  # the run's own recipe


def test_a_failed_start_leaves_no_empty_run_directory(loopback_server, tmp_path):
    recipe = write_recipe(tmp_path, loopback_server.url, docs=3,
                          split={"train": 2, "validation": 0, "test": 9})
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, env=env())
    one_line_error(out, "corpus")
    assert not (tmp_path / "run").exists()


def test_a_model_that_cannot_load_leaves_no_empty_run_directory(tmp_path):
    """Past validation (the file is there) but failing when the run starts: the run directory
    this command made, holding nothing paid for, is removed again."""
    (tmp_path / "broken.gguf").write_bytes(b"not a GGUF file at all")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "broken-model",
        "corpus": {"inline": {"documents": ["One story.", "Another story."]}},
        "constraints": [{"word_count": {"max": 5}}],
        "teacher": {"model": {"local": {"model": str(tmp_path / "broken.gguf")}}},
    }))
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error: local model: cannot load ") and "broken.gguf" in last
    assert not (tmp_path / "run").exists()
