"""The strategy suite (recipes/suites/strategies.yaml) runs end to end in `distil bench`.

Both tasks as shipped (corpus, split, prompt, constraints) with all six strategies, the teacher
replaced through `--model` by the real `openai` plugin against the loopback server (the real
SmolLM2 bench takes about twenty minutes; docs/strategies.md has its figures). The loopback's
answer follows the prompt: a countdown of the words asked for when the prompt asks for one,
three bullets for the bullet task, a sentence of 25 words otherwise; so every strategy's cell
is exercised, and the table's figures can be checked against what the server was sent.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter

import pytest
import yaml

from distil_builtin.strategies.countdown import with_markers
from tests import storeview
from tests.loopback import Reply
from tests.recipes.sandbox import ROOT, loopback_env, project_sandbox

SUITE = ROOT / "recipes" / "suites" / "strategies.yaml"
LIMIT = 1  # documents per split: one train and one validation document per task


def answer(payload) -> Reply:
    text = "\n".join(m["content"] for m in payload["messages"])
    budget = re.search(r"Start with <(\d+)>", text)
    if budget:  # countdown: exactly the budget, marked
        return Reply(with_markers(" ".join(["word"] * int(budget.group(1))), "words"),
                     prompt_tokens=100, completion_tokens=40)
    if "three short bullet points" in text:  # 3 × 33 characters and 2 newlines: 101
        line = "- " + "x" * 30 + "."
        return Reply("\n".join([line] * 3), prompt_tokens=100, completion_tokens=30)
    if first_shot_misses(payload):  # refine's feedback then gets the full sentence
        return Reply("Too short.", prompt_tokens=100, completion_tokens=3)
    return Reply(" ".join(["word"] * 24) + " end.", prompt_tokens=100, completion_tokens=30)


def first_shot_misses(payload) -> bool:
    """The first answer to one of the quickstart's two documents is too short."""
    turns = payload["messages"]
    user = next(m["content"] for m in turns if m["role"] == "user")
    return len(user) % 2 == 0 and not any(m["role"] == "assistant" for m in turns)


def test_the_strategy_suite_prints_one_table_per_task(tmp_path, loopback_server):
    loopback_server.responder = answer
    suite = yaml.safe_load(SUITE.read_text(encoding="utf-8"))
    strategies = list(suite["strategies"])
    assert strategies == ["single", "refine", "best_of_n", "countdown", "countdown + refine",
                          "guided"]
    model = yaml.safe_dump({"openai": {"model": "smollm2", "base_url": loopback_server.url,
                                       "api_key_env": None, "grammar_field": "grammar"}},
                           default_flow_style=True).strip()
    root = project_sandbox(tmp_path)
    out = subprocess.run(
        ["distil", "bench", "recipes/suites/strategies.yaml", "--model", model,
         "--limit", str(LIMIT), "--run-dir", "bench"],
        cwd=root, env=loopback_env(loopback_server.url, tmp_path / "cache"),
        capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]

    bench = root / "bench"
    results = json.loads((bench / "results.json").read_text(encoding="utf-8"))
    tasks = [t["name"] for t in results["tasks"]]
    assert tasks == ["quickstart", "bullets-100"]
    assert [m["label"] for m in results["models"]] == strategies
    for task in tasks:
        for label in strategies:
            cell = results["cells"][task][label]
            figures = cell["strategy"]
            assert figures["documents"] == 2 * LIMIT
            run = bench / cell["run_dir"]
            attempts = storeview.attempts(run, "generate")
            assert figures["requests"] == len(attempts)
            assert figures["accepted"] == sum(
                1 for o in storeview.outcomes(run).values() if o["status"] == "accepted")
            tokens = sum(a.attempt.completion.usage.total_tokens for a in attempts)
            if figures["accepted"]:
                assert figures["tokens_per_accepted"] == tokens / figures["accepted"]
            metrics = cell["metrics"]
            assert metrics["pass_rate"]["n"] == 2 * LIMIT
            assert metrics["mid_sentence"]["n"] == 2 * LIMIT
            assert metrics["rouge"]["reference"] == "field:title"
            if label.startswith("countdown"):
                assert all(a.attempt.raw_output for a in attempts), (task, label)
            assert results["cells"][task][label]["model"] == "openai/smollm2"

    # one document missed at the first shot: single accepted one of two, refine both at three
    # requests; per accepted output, every request counts
    single, refine = (results["cells"]["quickstart"][k]["strategy"] for k in ("single", "refine"))
    assert (single["accepted"], single["requests"]) == (1, 2)
    assert (refine["accepted"], refine["requests"]) == (2, 3)
    assert single["requests_per_accepted"] == 2.0 and refine["requests_per_accepted"] == 1.5
    for label in ("single", "refine"):
        run = bench / results["cells"]["quickstart"][label]["run_dir"]
        seconds = sum(a.attempt.completion.latency for a in storeview.attempts(run))
        figures = results["cells"]["quickstart"][label]["strategy"]
        assert figures["seconds"] == pytest.approx(seconds)
        assert figures["seconds_per_accepted"] == pytest.approx(seconds / figures["accepted"])
    # the countdown answers pass once stripped: one request a document
    assert results["cells"]["quickstart"]["countdown"]["strategy"]["requests"] == 2 * LIMIT
    assert results["cells"]["quickstart"]["countdown"]["metrics"]["pass_rate"]["rate"] == 1.0
    # guided sent the compiled grammar, once per document
    grammars = Counter(bool(r.json.get("grammar")) for r in loopback_server.chat_requests)
    assert grammars[True] == 2 * 2 * LIMIT

    # the table, printed and written: a heading and a row per strategy for each task
    for text in (out.stdout, (bench / "report.md").read_text(encoding="utf-8")):
        assert "| strategy | pass rate [95% CI] | requests / accepted | tokens / accepted |" \
            " s / accepted | mid-sentence | ROUGE-L F1 |" in text
        for task in tasks:
            assert f"## {task}" in text
        for label in strategies:
            assert text.count(f"| {label} |") == len(tasks), label
        assert re.search(r"^\| single \| 50% \[\d+%, \d+%\] \| 2\.0 \|", text, re.M), text


def test_a_documents_answer_is_the_kept_attempt_else_the_last_answered():
    from distil.suite.strategies import _answer
    from distil.types import Attempt, Completion

    def attempt(text, error=None):
        return Attempt("d", 0, 0, (), None if error else Completion(text), (), error)

    first, second, failed = attempt("first"), attempt("second"), attempt("", error="HTTP 500")
    assert _answer(first, [first, second, failed]) is first  # best_of_n kept the first
    assert _answer(None, [first, second, failed]) is second  # refine gave up: its last answer
    assert _answer(None, [failed]) is failed  # nothing answered: the failure
