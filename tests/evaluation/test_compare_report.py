"""`distil compare` on two runs, and `distil report` re-rendering from the store alone."""

from __future__ import annotations

import json

import pytest

from distil.results.compare import compare, separate
from tests.core.clihelp import distil
from tests.evaluation.helpers import DOCS, results, write_recipe, write_replay

# twelve documents: compare calls no difference real below MIN_N (10) documents a side
TWELVE = DOCS + [(f"d{i}", f"Story number {i} happened in town.", f"Story {i}")
                 for i in range(len(DOCS) + 1, 13)]
GOOD = {d: "Twenty chars exactly" for d, _, _ in TWELVE}           # 20: passes
BAD = {d: "Far too long for this label, sorry" for d, _, _ in TWELVE}  # 34: fails


def eval_run(tmp_path, name: str, outputs: dict[str, str]) -> str:
    replay = write_replay(tmp_path / f"{name}.jsonl", outputs)
    recipe = tmp_path / "r.yaml"
    if not recipe.exists():
        write_recipe(tmp_path, filename="r.yaml", docs=TWELVE)
    out = distil("eval", "r.yaml", "-m", f"replay/{replay.name}", "--run-dir", name,
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return name


def rows_by_name(pair) -> dict:
    return {r["figure"]: r for r in pair["rows"]}


def test_compare_two_runs(tmp_path):
    a, b, c = (eval_run(tmp_path, n, o) for n, o in (("good", GOOD), ("bad", BAD),
                                                      ("good2", GOOD)))
    out = distil("compare", a, b, "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    (pair,) = data["models"]
    assert (pair["a"], pair["b"]) == ("replay/good.jsonl", "replay/bad.jsonl")
    rows = rows_by_name(pair)
    rate = rows["pass_rate.rate"]
    assert (rate["a"], rate["b"], rate["difference"]) == (1.0, 0.0, -1.0)
    assert rate["separate"] is True  # Wilson [0.76, 1] vs [0, 0.24]
    mean = rows["length_stats.mean"]
    assert (mean["a"], mean["b"], mean["difference"]) == (20.0, 34.0, 14.0)
    assert mean["separate"] is True
    assert rows["length_stats.n"]["separate"] is None  # no interval, no verdict
    assert rows["pass_rate.per_constraint.char_count.rate"]["separate"] is True

    same = json.loads(distil("compare", a, c, "--json", cwd=tmp_path).stdout)
    assert rows_by_name(same["models"][0])["pass_rate.rate"]["separate"] is False

    text = distil("compare", a, b, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    line = next(x for x in text.stdout.splitlines() if x.startswith("pass_rate.rate "))
    assert line.split()[-1] == "yes" and "-1" in line


def test_compare_pairs_shared_labels_and_refuses_unrelated_runs():
    def run(models):
        return {"run": {}, "models": {k: {"metrics": {"pass_rate": {"rate": v, "ci95": [v, v]}}}
                                      for k, v in models.items()}}
    out = compare(run({"x": 0.5, "y": 0.2}), run({"y": 0.4, "z": 0.1}))
    assert [(p["a"], p["b"]) for p in out["models"]] == [("y", "y")]
    assert out["models"][0]["rows"][0]["difference"] == pytest.approx(0.2)
    from distil.errors import UsageError
    with pytest.raises(UsageError, match="share no model"):
        compare(run({"x": 0.5, "y": 0.2}), run({"z": 0.1, "w": 0.3}))
    assert separate((0, 1), (1.5, 2)) is True and separate((0, 1), (0.5, 2)) is False
    assert separate(None, (0, 1)) is None


def test_report_recomputes_from_the_store_without_calling_the_model(tmp_path,
                                                                   loopback_server):
    loopback_server.responder = lambda request: "Twenty chars exactly"
    write_recipe(tmp_path, filename="r.yaml", report="[markdown, json]")
    model = "{openai: {model: loop, base_url: '%s', api_key_env: null}}" % loopback_server.url
    (tmp_path / "models.txt").write_text(model)
    out = distil("eval", "r.yaml", "-m", model, "--run-dir", "run", "--no-cache", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    sent = len(loopback_server.chat_requests)
    assert sent == len(DOCS)
    before = results(tmp_path / "run")
    loopback_server.stop()  # any request now would fail and show up as an error
    for name in ("report.md", "results.json"):
        (tmp_path / "run" / name).unlink()

    out = distil("report", "run", "--format", "html", "--format", "markdown", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "warning" not in out.stderr
    after = results(tmp_path / "run")
    assert after["models"] == before["models"]
    assert after["totals"] == before["totals"]  # no request was added to the store
    assert (tmp_path / "run" / "report.html").is_file()
    assert (tmp_path / "run" / "report.md").is_file()
    assert "| pass rate (all constraints) | 100.0%" in (tmp_path / "run" / "report.md").read_text()


def test_report_recomputes_from_the_runs_own_recipe_when_the_file_changed(tmp_path):
    run = eval_run(tmp_path, "good", GOOD)
    saved = results(tmp_path / run)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(recipe.read_text().replace("seed: 3", "seed: 4"))
    (tmp_path / run / "report.md").unlink()
    out = distil("report", run, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "warning" not in out.stderr  # the run's recipe.yaml is its source of truth
    again = results(tmp_path / run)
    assert again["models"] == saved["models"] and again["run"]["seed"] == 3
    assert (tmp_path / run / "report.md").is_file()


def test_report_renders_the_saved_results_when_the_recipe_cannot_be_built(tmp_path):
    run = eval_run(tmp_path, "good", GOOD)
    saved = results(tmp_path / run)
    copy = tmp_path / run / "recipe.yaml"
    copy.write_text(copy.read_text().replace("char_count", "no_such_constraint"))
    (tmp_path / run / "report.md").unlink()
    out = distil("report", run, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "warning: rendered the saved results.json" in out.stderr
    assert "no_such_constraint" in out.stderr
    assert results(tmp_path / run) == saved
    assert (tmp_path / run / "report.md").is_file()


def test_report_and_compare_refuse_what_is_not_a_run(tmp_path):
    (tmp_path / "empty").mkdir()
    out = distil("report", "empty", cwd=tmp_path)
    assert out.returncode == 2 and "not a run directory" in out.stderr
    out = distil("compare", "empty", "empty", cwd=tmp_path)
    assert out.returncode == 2 and "no results.json" in out.stderr
