"""`distil export`: per-document records of a run, checked against figures computed here from
the outputs alone, in JSONL, CSV and Parquet; damaged stores refused, pyarrow's absence named."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import pytest

from tests.core.clihelp import distil
from tests.evaluation.helpers import write_recipe, write_replay

# target 20 ± 25% -> 15..25 characters (NFC code points)
TEACHER = {"d1": "Cat sits on the mat", "d2": "Dogs bark at night", "d3": "Rain",
           "d4": "The sun rises over green hills", "d5": "Bridge opens Tuesday",
           "d6": "Library open late Fri"}
STUDENT = {"d1": "A cat on a mat, long day", "d2": "Night barking dogs", "d3": "All-day city rain",
           "d4": "Sunrise on the hills", "d5": "New bridge opens", "d6": "Late library"}
LABELS = {"replay/teacher.jsonl": TEACHER, "replay/student.jsonl": STUDENT}


def signed_distance(text: str) -> float:
    n = len(unicodedata.normalize("NFC", text))
    return float(n - 25 if n > 25 else n - 15 if n < 15 else 0)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("export")
    recipe = write_recipe(tmp)
    write_replay(tmp / "teacher.jsonl", TEACHER)
    write_replay(tmp / "student.jsonl", STUDENT)
    out = distil("eval", str(recipe), "-m", "replay/teacher.jsonl", "-m", "replay/student.jsonl",
                 "--run-dir", "run", cwd=tmp)
    assert out.returncode == 0, out.stderr
    return tmp / "run"


def test_jsonl_holds_every_answer_with_its_measured_distance(run):
    out = distil("export", str(run), "--format", "jsonl", "-o", "-")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert sorted((r["model"], r["doc_id"]) for r in rows) == sorted(
        (label, d) for label, outputs in LABELS.items() for d in outputs)
    for r in rows:
        text = LABELS[r["model"]][r["doc_id"]]
        assert r["stage"] == "evaluate" and r["output"] == text and r["split"] == "test"
        assert r["char_count.measured"]["count"] == len(unicodedata.normalize("NFC", text))
        assert r["char_count.distance"] == signed_distance(text)
        assert r["char_count.passed"] is r["passed"] is (signed_distance(text) == 0)
        assert r["status"] == ("passed" if r["passed"] else "rejected")
        assert (r["char_count.feedback"] is None) is r["passed"]
        # (cached: the session's response cache may hold these answers from another test)
        assert r["error"] is None and isinstance(r["cached"], bool) and r["attempts"] == 1
        # a replayed answer reports no finish reason; the keys are there for those that do
        assert {"finish_reason", "latency", "prompt_tokens", "completion_tokens", "cost"} <= set(r)


def test_csv_and_parquet_hold_the_same_rows(run):
    import pyarrow.parquet as pq

    lines = distil("export", str(run), "-o", "-").stdout.splitlines()
    want = [json.loads(line) for line in lines]
    out = distil("export", str(run), "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == f"{run / 'documents.csv'}: {len(want)} records"
    got = list(csv.DictReader(io.StringIO((run / "documents.csv").read_text(encoding="utf-8"))))
    assert [(g["model"], g["doc_id"], g["output"], float(g["char_count.distance"]))
            for g in got] == [(w["model"], w["doc_id"], w["output"], w["char_count.distance"])
                              for w in want]
    assert [json.loads(g["char_count.measured"]) for g in got] == [
        w["char_count.measured"] for w in want]
    target = run / "docs.parquet"
    assert distil("export", str(run), "--format", "parquet", "-o", str(target)).returncode == 0
    table = pq.read_table(target).to_pylist()
    assert [(t["doc_id"], t["char_count.passed"], t["latency"]) for t in table] == [
        (w["doc_id"], w["char_count.passed"], w["latency"]) for w in want]


GENERATE = """\
name: gen-headlines
corpus:
  inline:
    documents:
      - {id: h1, text: "The city council approved the new park budget on Monday evening."}
      - {id: h2, text: "Heavy snow closed the mountain pass for the second day in a row."}
      - {id: h3, text: "The museum will open a new wing for modern art next spring."}
      - {id: h4, text: "A local bakery won the regional bread contest this weekend."}
  split: {train: 2, validation: 0, test: 2}
prompt:
  system: "Write a headline of three to eight words."
  user: "{{ doc.text }}"
constraints:
  - char_count: {unit: words, min: 3, max: 8}
teacher:
  model: {scripted: {outputs: ["a headline that runs on far past the eight word mark",
                               "Council approves the park budget"]}}
  strategy: {refine: {max_rounds: 2}}
  concurrency: 1
evaluate:
  models: [teacher]
  metrics: [pass_rate]
report: [json, html]
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("generated")
    (tmp / "gen.yaml").write_text(GENERATE, encoding="utf-8")
    out = distil("run", "gen.yaml", "--run-dir", "run", cwd=tmp)
    assert out.returncode == 0, out.stderr
    return tmp / "run"


def test_generated_documents_give_the_kept_attempt_and_how_many_were_made(generated):
    out = distil("export", str(generated), "--stage", "generate", "-o", "-")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert {r["stage"] for r in rows} == {"generate"} and len(rows) == 2
    for r in rows:  # the scripted teacher answers too long, then right: accepted on round 2
        assert r["status"] == "accepted" and r["attempts"] == 2 and r["passed"] is True
        assert r["output"] == "Council approves the park budget"
        assert r["char_count.measured"]["count"] == 5 and r["char_count.distance"] == 0
        assert r["completion_tokens"] == 11 + 5  # both attempts' tokens (words as tokens)


def test_a_damaged_store_is_refused_in_one_line(tmp_path, run):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "store.sqlite").write_bytes(b"not a database at all" * 100)
    out = distil("export", str(broken))
    assert out.returncode == 2
    assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1
    assert "store.sqlite" in out.stderr and not (broken / "documents.jsonl").exists()
    missing = tmp_path / "empty-run"
    missing.mkdir()
    assert distil("export", str(missing)).returncode == 2


def test_parquet_without_pyarrow_says_how_to_install_it(tmp_path, run):
    shadow = tmp_path / "shadow" / "pyarrow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no pyarrow here')\n")
    import os

    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    out = distil("export", str(run), "--format", "parquet", "-o", str(tmp_path / "x.parquet"),
                 env=env)
    assert out.returncode == 2
    assert out.stderr.strip() == ("error: --format parquet needs pyarrow: "
                                  "pip install 'distil[parquet]' (or pip install pyarrow)")
