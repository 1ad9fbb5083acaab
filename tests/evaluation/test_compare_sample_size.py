"""`distil compare` calls no difference real below MIN_N documents a side, and warns when the
two runs may not have measured the same thing."""

from __future__ import annotations

import json

from distil.results.compare import MIN_N, compare, render_text
from tests.core.clihelp import distil
from tests.evaluation.helpers import write_recipe, write_replay


def docs(n: int):
    return [(f"d{i}", f"Story number {i} happened in a small town.", f"Story {i}")
            for i in range(n)]


def eval_run(tmp_path, run: str, n: int, output: str, recipe: str = "r.yaml",
             **recipe_options) -> str:
    if not (tmp_path / recipe).exists():
        write_recipe(tmp_path, filename=recipe, docs=docs(n), **recipe_options)
    replay = write_replay(tmp_path / f"{run}.jsonl", {f"d{i}": output for i in range(n)})
    out = distil("eval", recipe, "-m", f"replay/{replay.name}", "--run-dir", run, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return run


GOOD, BAD = "Twenty chars exactly", "Far too long for this label, sorry"


def test_one_document_a_side_is_too_small_to_call_separate(tmp_path):
    a = eval_run(tmp_path, "good", 1, GOOD)
    b = eval_run(tmp_path, "bad", 1, BAD)
    data = json.loads(distil("compare", a, b, "--json", cwd=tmp_path).stdout)
    (pair,) = data["models"]
    assert (pair["a_n"], pair["b_n"], pair["too_small"]) == (1, 1, True)
    rate = next(r for r in pair["rows"] if r["figure"] == "pass_rate.rate")
    assert rate["difference"] == -1.0        # the figures are still shown ...
    assert rate["separate"] is None and rate["too_small"] is True  # ... but no verdict
    assert not any(r["separate"] for r in pair["rows"])
    text = distil("compare", a, b, cwd=tmp_path).stdout
    assert f"sample too small: 1 document in A and 1 document in B; below {MIN_N} per side" in text
    line = next(x for x in text.splitlines() if x.startswith("pass_rate.rate "))
    assert line.endswith("too small") and "yes" not in line.split()


def test_at_min_n_a_side_intervals_can_separate(tmp_path):
    a = eval_run(tmp_path, "good", MIN_N, GOOD)
    b = eval_run(tmp_path, "bad", MIN_N, BAD)
    data = json.loads(distil("compare", a, b, "--json", cwd=tmp_path).stdout)
    (pair,) = data["models"]
    assert pair["too_small"] is False
    rate = next(r for r in pair["rows"] if r["figure"] == "pass_rate.rate")
    assert rate["separate"] is True and rate["too_small"] is False
    assert data["warnings"] == []  # same recipe, seed and number of documents


def test_runs_of_different_recipes_or_document_counts_are_warned_about(tmp_path):
    a = eval_run(tmp_path, "good", 12, GOOD)
    b = eval_run(tmp_path, "other", 10, GOOD, recipe="other.yaml", name="another-recipe")
    out = distil("compare", a, b, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    warnings = [x for x in out.stdout.splitlines() if x.startswith("warning: ")]
    assert warnings == [
        "warning: the runs are of different recipes (A: 'eval-test', B: 'another-recipe'); "
        "their figures may not measure the same task",
        "warning: the runs evaluated different documents (A: 12; B: 10)"]


def test_different_seeds_and_recorded_documents_are_warned_about():
    def run(seed, documents=None, n=20):
        figures = {"pass_rate": {"n": n, "rate": 0.5, "ci95": [0.3, 0.7]}}
        record = {"recipe": "r", "seed": seed, **({"documents": documents} if documents else {})}
        return {"run": record, "models": {"m": {"metrics": figures}}}

    assert compare(run(1), run(1))["warnings"] == []
    assert compare(run(1), run(2))["warnings"] == [
        "the runs drew their documents with different seeds (A: 1, B: 2), so they may have "
        "evaluated different documents"]
    same, other = {"sha256": "aa"}, {"sha256": "bb"}
    assert compare(run(1, same), run(2, same))["warnings"] == []  # recorded: the ids decide
    assert compare(run(1, same), run(1, other))["warnings"] == [
        "the runs evaluated different documents"]
    assert render_text(compare(run(1), run(2)))[2].startswith("warning: the runs drew")
