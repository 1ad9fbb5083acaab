"""`distil eval` on replay models with known outputs: results.json and report.md carry the
figures computed here independently, from the outputs alone."""

from __future__ import annotations

import math
import statistics
import textwrap
import unicodedata

import pytest

from distil_builtin.metrics.intervals import wilson
from tests.core.clihelp import distil
from tests.evaluation.helpers import DOCS, results, write_recipe, write_replay

# target 20 ± 25% -> 15..25 characters
TEACHER = {"d1": "Cat sits on the mat", "d2": "Dogs bark at night", "d3": "Rain",
           "d4": "The sun rises over green hills", "d5": "Bridge opens Tuesday",
           "d6": "Library open late Fri"}
STUDENT = {"d1": "A cat on a mat, long day", "d2": "Night barking dogs", "d3": "All-day city rain",
           "d4": "Sunrise on the hills", "d5": "New bridge opens", "d6": "Late library"}


def nfc_len(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


def expected(outputs: dict[str, str]) -> dict[str, float]:
    counts = [nfc_len(o) for o in outputs.values()]
    passed = sum(15 <= c <= 25 for c in counts)
    return {
        "n": len(counts), "mean": statistics.fmean(counts), "median": statistics.median(counts),
        "min": min(counts), "max": max(counts), "stdev": statistics.stdev(counts),
        "variance": statistics.variance(counts),
        "mean_abs_deviation": statistics.fmean(abs(c - 20) for c in counts),
        "rate": passed / len(counts), "passed": passed,
    }


@pytest.fixture
def evaluated(tmp_path):
    recipe = write_recipe(tmp_path)
    a = write_replay(tmp_path / "teacher.jsonl", TEACHER)
    b = write_replay(tmp_path / "student.jsonl", STUDENT)
    out = distil("eval", str(recipe), "-m", f"replay/{a.name}", "-m", f"replay/{b.name}",
                 "--run-dir", "run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return tmp_path, out


def test_results_json_reproduces_independent_figures(evaluated):
    tmp_path, out = evaluated
    data = results(tmp_path / "run")
    assert list(data["models"]) == ["replay/teacher.jsonl", "replay/student.jsonl"]
    for label, outputs in (("replay/teacher.jsonl", TEACHER), ("replay/student.jsonl", STUDENT)):
        metrics = data["models"][label]["metrics"]
        want = expected(outputs)
        stats = metrics["length_stats"]
        for key in ("n", "mean", "median", "min", "max", "stdev", "variance",
                    "mean_abs_deviation"):
            assert stats[key] == pytest.approx(want[key]), (label, key)
            assert isinstance(stats[key], (int, float)) and not isinstance(stats[key], bool)
        assert stats["unit"] == "chars" and stats["target"] == 20
        assert metrics["pass_rate"]["rate"] == pytest.approx(want["rate"])
        assert metrics["pass_rate"]["ci95"] == pytest.approx(list(wilson(want["passed"], 6)))
        assert metrics["cost"]["total"] == 0.0 and metrics["tokens"]["total"] == 0
        assert metrics["latency"]["n"] == 6
    assert data["run"]["recipe"] == "eval-test"
    assert data["totals"]["requests"] == 12
    assert "replay/teacher.jsonl: pass rate" in out.stdout


def row_cells(table: str, label: str) -> list[str]:
    """The cells after the label of the Markdown table row `label` (escaped pipes allowed)."""
    for line in (x for x in table.splitlines() if x.startswith("|")):
        parts = [c.strip() for c in line.replace("\\|", "¦").strip().strip("|").split("|")]
        if parts[0] == label.replace("|", "¦"):
            return parts[1:]
    raise AssertionError(f"no row {label!r} in:\n{table}")


def test_markdown_table_shows_the_same_figures(evaluated):
    tmp_path, _ = evaluated
    table = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    t, s = expected(TEACHER), expected(STUDENT)
    assert row_cells(table, "") == ["replay/teacher.jsonl", "replay/student.jsonl"]
    for label, key, fmt in (("n", "n", "{}"), ("mean", "mean", "{:.1f}"),
                            ("median", "median", "{:.1f}"), ("min", "min", "{}"),
                            ("max", "max", "{}"), ("stdev", "stdev", "{:.1f}"),
                            ("variance", "variance", "{:.1f}"),
                            ("mean |deviation| from target", "mean_abs_deviation", "{:.1f}"),
                            ("pass rate (all constraints)", "rate", "{:.1%}")):
        cells = row_cells(table, label)
        assert len(cells) == 2, (label, cells)
        assert [c.split(" [")[0] for c in cells] == [fmt.format(t[key]), fmt.format(s[key])]
    assert "Wilson" in table and "bootstrap" in table


def test_eval_resumes_and_limits(tmp_path):
    recipe = write_recipe(tmp_path)
    a = write_replay(tmp_path / "a.jsonl", TEACHER)
    out = distil("eval", str(recipe), "-m", f"replay/{a.name}", "--limit", "2",
                 "--run-dir", "run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert results(tmp_path / "run")["models"][f"replay/{a.name}"]["metrics"]["pass_rate"]["n"] == 2
    # the same run directory without the limit: the two stored answers are reused
    out = distil("eval", str(recipe), "-m", f"replay/{a.name}", "--run-dir", "run",
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = results(tmp_path / "run")
    assert data["models"][f"replay/{a.name}"]["metrics"]["pass_rate"]["n"] == len(DOCS)
    assert data["totals"]["requests"] == len(DOCS)


def test_a_failed_request_makes_exit_status_1(tmp_path):
    recipe = write_recipe(tmp_path)
    partial = dict(TEACHER)
    partial.pop("d3")
    a = write_replay(tmp_path / "partial.jsonl", partial)
    out = distil("eval", str(recipe), "-m", f"replay/{a.name}", "--run-dir", "run",
                 cwd=tmp_path)
    assert out.returncode == 1
    assert "finished with failures: 1 answer failed in evaluate" in out.stderr
    assert "1 request failed: " in out.stderr and "no entry for document id 'd3'" in out.stderr
    rate = results(tmp_path / "run")["models"][f"replay/{a.name}"]["metrics"]["pass_rate"]
    assert rate["errors"] == 1 and rate["n"] == 6


def test_user_errors_are_one_line(tmp_path):
    recipe = write_recipe(tmp_path)
    out = distil("eval", str(recipe), "-m", "opneai/gpt-4.1", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        out.stderr.strip()] and "did you mean 'openai'" in out.stderr
    out = distil("eval", str(recipe), "-m", "teacher", cwd=tmp_path)
    assert out.returncode == 2 and "has no teacher" in out.stderr
    out = distil("eval", str(recipe), cwd=tmp_path)
    assert out.returncode == 2 and "--model" in out.stderr
    a = write_replay(tmp_path / "a.jsonl", TEACHER)
    out = distil("eval", str(recipe), "-m", f"replay/{a.name}", "-m", f"replay/{a.name}",
                 cwd=tmp_path)
    assert out.returncode == 2 and "both labelled" in out.stderr


def test_a_recipe_without_an_evaluate_section_gets_the_default_metrics(tmp_path):
    (tmp_path / "bare.yaml").write_text(textwrap.dedent("""\
        name: bare
        corpus:
          inline:
            documents: ["One two three.", "Four five."]
        constraints:
          - word_count: {max: 3}
        """))
    a = write_replay(tmp_path / "a.jsonl", {"1": "one two", "2": "three four five six"})
    out = distil("eval", "bare.yaml", "-m", f"replay/{a.name}", "--run-dir", "run",
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    metrics = results(tmp_path / "run")["models"][f"replay/{a.name}"]["metrics"]
    assert set(metrics) == {"length_stats", "pass_rate", "latency", "tokens", "cost"}
    assert metrics["pass_rate"]["rate"] == 0.5
    assert math.isclose(metrics["length_stats"]["mean"], 3.0)
