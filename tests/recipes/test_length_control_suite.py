"""The length-control suite (recipes/suites/length-control.yaml) runs end to end in `distil bench`.

Every task runs as shipped — its corpus options, split, prompt, constraints and the suite's limit
untouched — on the livedoor-format test corpus put where the recipes expect the real one
(tests/recipes/sandbox.py). Every model the suite lists answers through the loopback server,
with the client its provider uses:

- `openai/...` as written: the SDK reads OPENAI_BASE_URL;
- `litellm/<provider>/<model>` through the real litellm client, as `<model>` on litellm's
  OpenAI-compatible route (the loopback server speaks only the OpenAI protocol);
- `local/<model>` (the embedded SmolLM2) as a loopback model of the same name: five tasks on
  the real model would take minutes; tests/evaluation/test_suite.py runs `bench` on it.

The models reach `distil bench` through `--model`, which replaces the suite's list, in the
suite's order; the test then checks the matrix has a cell for every task and every model.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter

import yaml

from tests.loopback import Reply
from tests.loopback.replies import last_user_text
from tests.recipes.sandbox import ROOT, loopback_env, project_sandbox

SUITE = ROOT / "recipes" / "suites" / "length-control.yaml"
MATRIX_TABLES = 4  # pass rate, mean |deviation|, latency, cost


def loopback_model(spec: str, url: str) -> tuple[str, str, str]:
    """(the --model argument, the label the bench shows, the model id the server sees)."""
    provider, model = spec.split("/", 1)
    if provider == "openai":
        return spec, spec, model
    if provider == "litellm":
        model_id = model.split("/", 1)[1]
        option = yaml.safe_dump({"litellm": {"model": f"openai/{model_id}", "base_url": url}},
                                default_flow_style=True).strip()
        return option, f"litellm/openai/{model_id}", model_id
    assert provider == "local", spec
    option = yaml.safe_dump({"openai": {"model": model, "base_url": url, "api_key_env": None}},
                            default_flow_style=True).strip()
    return option, f"openai/{model}", model


def expected_answers(recipe: dict, limit: int) -> int:
    """How many documents a task answers: its evaluate split, at most the suite's limit."""
    split = (recipe.get("evaluate") or {}).get("split") or "test"
    return min(limit, recipe["corpus"]["split"][split])


def short_answer(request_json) -> Reply:
    """A stable answer (cacheable, so repeated articles cost one request): the first line."""
    text = last_user_text(request_json).strip().splitlines()[0][:60]
    return Reply(text, prompt_tokens=50, completion_tokens=20)


def test_length_control_suite_runs_every_task_with_every_model(tmp_path, loopback_server):
    loopback_server.responder = short_answer
    suite = yaml.safe_load(SUITE.read_text(encoding="utf-8"))
    recipes = [yaml.safe_load((SUITE.parent / path).read_text(encoding="utf-8"))
               for path in suite["recipes"]]
    tasks = [r["name"] for r in recipes]
    models = [loopback_model(spec, loopback_server.url) for spec in suite["models"]]
    labels = [label for _, label, _ in models]
    assert len(set(labels)) == len(suite["models"]) == 3

    root = project_sandbox(tmp_path)
    args = [a for option, _, _ in models for a in ("--model", option)]
    out = subprocess.run(
        ["distil", "bench", "recipes/suites/length-control.yaml", *args, "--run-dir", "bench"],
        cwd=root, env=loopback_env(loopback_server.url, tmp_path / "cache"),
        capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]

    bench = root / "bench"
    results = json.loads((bench / "results.json").read_text(encoding="utf-8"))
    assert [t["name"] for t in results["tasks"]] == tasks
    assert [m["label"] for m in results["models"]] == labels
    for task, recipe in zip(tasks, recipes, strict=True):
        for label in labels:
            cell = results["cells"][task][label]
            assert set(suite["metrics"]) <= set(cell["metrics"]), (task, label)
            assert cell["metrics"]["pass_rate"]["n"] == expected_answers(recipe, suite["limit"])
            assert cell["metrics"]["pass_rate"]["errors"] == 0
            assert (bench / cell["run_dir"] / "store.sqlite").is_file()
    assert results["totals"]["request_errors"] == 0

    # every model answered over HTTP, and never more than once a document
    sent = Counter(r.json["model"] for r in loopback_server.chat_requests)
    answers = sum(expected_answers(r, suite["limit"]) for r in recipes)
    assert set(sent) == {model_id for _, _, model_id in models}
    assert all(0 < n <= answers for n in sent.values()), sent

    # the matrix, printed and written: a row per task in each table, a column per model
    for text in (out.stdout, (bench / "report.md").read_text(encoding="utf-8")):
        assert f"| task | {' | '.join(labels)} |" in text
        for task in tasks:
            assert text.count(f"| {task} |") == MATRIX_TABLES, task
    html = (bench / "report.html").read_text(encoding="utf-8")
    assert suite["name"] in html and all(task in html for task in tasks)
