"""best_of_n through the API's `n`: one request per document, every candidate stored and paid
for exactly once, and the same fallbacks and failures as separate requests.

Each test runs the real `distil run` with the real `openai` (or `litellm`) model plugin against
the loopback server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from distil.types import Usage
from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import env, write_recipe
from tests.loopback import Reply

# Candidate 0 breaks the five-word limit; 1 and 2 keep it. best_of_n keeps the first passing.
CANDIDATES = ["far too many words in this one answer", "short and fine", "also fine"]
PROMPT_TOKENS, OUTPUT_TOKENS = 100, 30
PRICE_IN, PRICE_OUT = 1.0e-6, 3.0e-6  # the harness's price override


def run(recipe: Path, run_dir: str, *args: str, status: int = 0):
    out = distil("run", str(recipe), "--run-dir", run_dir, *args, cwd=recipe.parent, env=env())
    assert out.returncode == status, out.stderr
    return out


def three_candidates(payload):
    return Reply(CANDIDATES, prompt_tokens=PROMPT_TOKENS, completion_tokens=OUTPUT_TOKENS)


def per_document(run_dir: Path) -> dict[str, tuple[int, int, int, float, list[int]]]:
    """doc id -> (attempts, prompt tokens, completion tokens, cost, restarts), summed."""
    out: dict[str, tuple[int, int, int, float, list[int]]] = {}
    for a in storeview.attempts(run_dir):
        count, prompt, output, cost, restarts = out.get(a.doc_id, (0, 0, 0, 0.0, []))
        usage = a.attempt.completion.usage if a.attempt.completion else Usage()
        out[a.doc_id] = (count + 1, prompt + usage.prompt_tokens,
                         output + usage.completion_tokens, cost + (a.cost or 0.0),
                         [*restarts, a.attempt.restart])
    return out


@pytest.mark.parametrize("provider", ["openai", "litellm"])
def test_one_request_brings_all_candidates(provider, loopback_server, tmp_path):
    loopback_server.responder = three_candidates
    recipe = write_recipe(tmp_path, loopback_server.url, docs=4, evaluate=False,
                          strategy={"best_of_n": {"n": 3}})
    if provider == "litellm":  # the same teacher through litellm's OpenAI-compatible route
        spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
        options = spec["teacher"]["model"].pop("openai")
        options["model"] = "openai/" + options["model"]
        spec["teacher"]["model"] = {"litellm": options}
        recipe.write_text(yaml.safe_dump(spec), encoding="utf-8")
    run(recipe, "run", "--no-cache")

    requests = loopback_server.chat_requests
    assert len(requests) == 4 and all(r.json["n"] == 3 for r in requests)
    expected_cost = PROMPT_TOKENS * PRICE_IN + OUTPUT_TOKENS * PRICE_OUT
    figures = per_document(tmp_path / "run")
    assert len(figures) == 4
    for doc_id, (count, prompt, output, cost, restarts) in figures.items():
        assert count == 3 and sorted(restarts) == [0, 1, 2], doc_id
        assert (prompt, output) == (PROMPT_TOKENS, OUTPUT_TOKENS), doc_id  # paid once, in full
        assert cost == pytest.approx(expected_cost), doc_id
    outcomes = storeview.outcomes(tmp_path / "run")
    kept = [(storeview.kept_attempt(tmp_path / "run", d).restart, o["status"], o["cost"])
            for d, o in outcomes.items()]
    assert [(r, s) for r, s, _ in kept] == [(1, "accepted")] * 4
    assert all(c == pytest.approx(expected_cost) for _, _, c in kept)  # the whole request
    exported = [json.loads(line)["messages"][-1]["content"]
                for line in (tmp_path / "run" / "train.jsonl").read_text().splitlines()]
    assert exported == [CANDIDATES[1]] * 4


def test_a_rerun_is_served_by_the_cache_and_a_resume_by_the_store(loopback_server, tmp_path):
    loopback_server.responder = three_candidates
    recipe = write_recipe(tmp_path, loopback_server.url, docs=3, evaluate=False,
                          strategy={"best_of_n": {"n": 3}})
    run(recipe, "first")
    assert len(loopback_server.chat_requests) == 3
    run(recipe, "cached")
    assert len(loopback_server.chat_requests) == 3  # every candidate came from the cache
    assert (tmp_path / "cached" / "train.jsonl").read_bytes() == \
        (tmp_path / "first" / "train.jsonl").read_bytes()

    # A run killed after the candidates were committed but before the outcome was: resuming
    # it without the cache finds every candidate in the store and pays for none again.
    assert storeview.forget_outcomes(tmp_path / "first") == 3
    out = distil("run", "--resume", str(tmp_path / "first"), "--no-cache", cwd=tmp_path,
                 env=env())
    assert out.returncode == 0, out.stderr
    assert len(loopback_server.chat_requests) == 3
    assert storeview.attempt_count(tmp_path / "first") == 9
    assert list(storeview.statuses(tmp_path / "first").values()) == ["accepted"] * 3


def test_a_server_that_ignores_n_is_asked_for_the_rest_one_by_one(loopback_server, tmp_path):
    loopback_server.responder = lambda payload: Reply([f"answer seed {payload.get('seed')}"])
    recipe = write_recipe(tmp_path, loopback_server.url, docs=1, evaluate=False,
                          strategy={"best_of_n": {"n": 3}}, model={"params": {"seed": 5}})
    run(recipe, "run", "--no-cache")
    sent = [(r.json.get("n"), r.json.get("seed")) for r in loopback_server.chat_requests]
    assert sent[0] == (3, 5)
    assert sorted(sent[1:]) == [(None, 6), (None, 7)]  # each of the rest with its own seed
    got = sorted((a.attempt.restart, a.text) for a in storeview.attempts(tmp_path / "run"))
    assert got == [(0, "answer seed 5"), (1, "answer seed 6"), (2, "answer seed 7")]


def test_a_refused_request_fails_every_candidate_with_its_reason(loopback_server, tmp_path):
    loopback_server.responder = lambda payload: Reply.http_error(400, "n is not supported here")
    recipe = write_recipe(tmp_path, loopback_server.url, docs=2, evaluate=False,
                          strategy={"best_of_n": {"n": 3}})
    out = run(recipe, "run", "--no-cache", status=1)  # a run with failures says so
    assert "2 documents failed in generate" in out.stderr
    assert len(loopback_server.chat_requests) == 2  # a 400 is not retried
    errors = [a.attempt.error for a in storeview.attempts(tmp_path / "run")]
    assert len(errors) == 6 and all("n is not supported here" in e for e in errors)
    assert set(storeview.statuses(tmp_path / "run").values()) == {"failed"}


def test_one_request_false_sends_separate_requests(loopback_server, tmp_path):
    loopback_server.responder = three_candidates
    recipe = write_recipe(tmp_path, loopback_server.url, docs=2, evaluate=False,
                          strategy={"best_of_n": {"n": 3, "one_request": False}})
    run(recipe, "run", "--no-cache")
    assert len(loopback_server.chat_requests) == 6
    assert all("n" not in r.json for r in loopback_server.chat_requests)
