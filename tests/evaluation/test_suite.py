"""Suites: located errors, `distil validate`, and `distil bench` end to end on two recipes ×
two models — the embedded local model and the loopback server through the `openai` plugin."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from distil.errors import RecipeError, UsageError
from distil.suite import is_suite_file, load_suite
from tests import storeview
from tests.core.clihelp import distil
from tests.evaluation.helpers import write_recipe
from tests.loopback import Reply

SHORT_DOCS = [("s1", "The cat sat on the mat.", "Cat on mat"),
              ("s2", "Rain fell all day.", "Rain")]


def suite_file(tmp_path: Path, body: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture
def two_recipes(tmp_path):
    write_recipe(tmp_path, name="labels", docs=SHORT_DOCS, target=20, tolerance=0.5)
    write_recipe(tmp_path, name="tiny", docs=SHORT_DOCS, target=8, tolerance=0.5,
                 metrics="[pass_rate]", report="[json]")
    return tmp_path


@pytest.mark.parametrize("body, where, message", [
    ("name: s\nrecipes: [labels.yaml]\nmodels: [local/smollm2]\nmodel: [x]\n",
     "suite.yaml:4: model", "unknown key 'model'; did you mean 'models'?"),
    ("name: s\nrecipes:\n  - labels.yaml\n  - missing.yaml\nmodels: [local/smollm2]\n",
     "suite.yaml:4: recipes[1]", "recipe not found"),
    ("name: s\nrecipes: [labels.yaml]\nmodels:\n  - local/smollm2\n  - opneai/gpt-4.1\n",
     "suite.yaml:5: models[1]", "did you mean 'openai'"),
    ("name: s\nrecipes: [labels.yaml, labels.yaml]\nmodels: [local/smollm2]\n",
     "suite.yaml:2: recipes[1]", "two recipes are named 'labels'"),
    ("name: s\nrecipes: [labels.yaml]\nmodels: [teacher]\n",
     "suite.yaml:3: models[0]", "has no teacher"),
    ("name: s\nrecipes: [labels.yaml]\n", "suite.yaml", "lists no models"),
    ("name: s\nrecipes: []\nmodels: [local/smollm2]\n", "suite.yaml:2: recipes",
     "at least 1 item"),
    ("name: s\nrecipes: [{path: labels.yaml, limit: 0}]\nmodels: [local/smollm2]\n",
     "suite.yaml:2: recipes[0].limit", "greater than or equal to 1"),
    ("name: s\nrecipes: [labels.yaml]\nmodels: [local/smollm2]\nreport: [htm]\n",
     "suite.yaml:4: report[0]", "did you mean 'html'"),
])
def test_suite_errors_name_file_line_and_field(two_recipes, body, where, message):
    path = suite_file(two_recipes, body)
    with pytest.raises(RecipeError) as info:
        load_suite(path)
    text = str(info.value)
    assert text.startswith(f"{path.parent}/{where}"), text
    assert message in text


def test_validate_accepts_suites_and_reports_their_errors(two_recipes):
    good = suite_file(two_recipes, """\
        name: s
        recipes: [labels.yaml, {path: tiny.yaml, limit: 1}]
        models: [local/smollm2]
        """)
    bad = suite_file(two_recipes, "name: s\nrecipes: [labels.yaml]\nmodels: [nope/x]\n",
                     "bad.yaml")
    assert is_suite_file(good) and not is_suite_file(two_recipes / "labels.yaml")
    out = distil("validate", str(good), str(two_recipes / "labels.yaml"), str(bad))
    assert out.returncode == 2
    assert f"ok: {good}" in out.stdout and f"ok: {two_recipes / 'labels.yaml'}" in out.stdout
    assert f"{bad}:3: models[0]: unknown model provider 'nope'" in out.stderr


def test_command_line_models_replace_the_suites(two_recipes):
    path = suite_file(two_recipes, "name: s\nrecipes: [tiny.yaml]\nmodels: [local/smollm2]\n")
    suite = load_suite(path, models=("replay/x.jsonl", "{scripted: {outputs: [hi]}}"))
    assert suite.model_specs == ["replay/x.jsonl", {"scripted": {"outputs": ["hi"]}}]
    # the recipe asks for pass_rate only; the matrix's figures are added
    assert suite.tasks[0].metrics == ["pass_rate", "length_stats", "latency", "cost"]
    with pytest.raises(UsageError, match="--model opneai/x: unknown model provider"):
        load_suite(path, models=("opneai/x",))


def stored_attempts(bench: Path) -> int:
    return sum(storeview.totals(store.parent)["requests"]
               for store in bench.glob(f"*/*/{storeview.STORE}"))


def loopback_labels(request_json) -> Reply:
    """A short label from the document's first words (stable, so answers can be cached)."""
    words = request_json["messages"][-1]["content"].split()[:3]
    return Reply(" ".join(words), prompt_tokens=30, completion_tokens=4)


@pytest.mark.slow
def test_bench_two_recipes_by_two_models_end_to_end(two_recipes, loopback_server):
    loopback_server.responder = loopback_labels
    openai = ("{openai: {model: loop-mini, base_url: '%s', api_key_env: null, "
              "prices: {input_per_million: 1.0, output_per_million: 2.0}}}" % loopback_server.url)
    suite = suite_file(two_recipes, f"""\
        name: mini-bench
        description: Two tasks, two models.
        recipes:
          - labels.yaml
          - {{path: tiny.yaml, limit: 2}}
        models:
          - {{local: {{model: smollm2, params: {{max_tokens: 12, temperature: 0}}}}}}
          - {openai}
        """)
    out = distil("bench", str(suite), "--run-dir", "bench", cwd=two_recipes)
    assert out.returncode == 0, out.stderr
    bench = two_recipes / "bench"
    data = json.loads((bench / "results.json").read_text())
    labels = ["local/smollm2", "openai/loop-mini"]
    assert [t["name"] for t in data["tasks"]] == ["labels", "tiny"]
    assert [m["label"] for m in data["models"]] == labels
    for task in ("labels", "tiny"):
        for label in labels:
            cell = data["cells"][task][label]
            assert cell["metrics"]["pass_rate"]["n"] == 2, (task, label)
            # the matrix figures are there even for the task that listed only pass_rate
            assert {"pass_rate", "length_stats", "latency", "cost"} <= set(cell["metrics"])
            assert (bench / cell["run_dir"] / "store.sqlite").is_file()
    local = data["cells"]["labels"]["local/smollm2"]
    assert local["metrics"]["latency"]["mean"] > 0 and local["metrics"]["cost"]["total"] == 0.0
    remote = data["cells"]["labels"]["openai/loop-mini"]
    assert remote["metrics"]["cost"]["total"] == pytest.approx(2 * (30 * 1.0 + 4 * 2.0) / 1e6)
    assert data["totals"]["requests"] == 8
    assert len(loopback_server.chat_requests) == 4

    # the Markdown matrix, printed and written
    matrix = (bench / "report.md").read_text()
    for text in (out.stdout, matrix):
        assert "| task | local/smollm2 | openai/loop-mini |" in text
        assert text.count("| labels |") == 4 and text.count("| tiny |") == 4
        for title in ("Pass rate", "Mean |deviation| from target", "Latency, mean seconds",
                      "Cost, total USD"):
            assert title in text
    html = (bench / "report.html").read_text()
    assert html.count("<svg") >= 1 and "mini-bench" in html and "http" not in html.lower()

    # run again on the same directory: everything is already stored, nothing is sent
    attempts = stored_attempts(bench)
    assert attempts == 8
    again = distil("bench", str(suite), "--run-dir", "bench", cwd=two_recipes)
    assert again.returncode == 0, again.stderr
    assert len(loopback_server.chat_requests) == 4
    assert stored_attempts(bench) == attempts
    assert json.loads((bench / "results.json").read_text())["cells"] == data["cells"]

    # and re-rendered from the stores alone, with the server gone
    loopback_server.stop()
    (bench / "report.html").unlink()
    rendered = distil("report", "bench", "--format", "html", cwd=two_recipes)
    assert rendered.returncode == 0, rendered.stderr
    assert (bench / "report.html").is_file()
    assert json.loads((bench / "results.json").read_text())["cells"] == data["cells"]
