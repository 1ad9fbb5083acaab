"""`teacher.execution: batch`: each refine round is one Batch API job on the loopback server;
half price; partial failures retried in the next round; resumable; refused for other models."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from distil.engine.budget import BudgetExceeded
from distil.engine.runner import RunOptions, Runner
from distil.errors import RecipeError
from distil.recipe import load_recipe
from distil_builtin.models.openai_api import OpenAIModel
from tests import storeview
from tests.core.clihelp import distil
from tests.students.batch_recipes import LONG, SHORT, batch_recipe, refining_responder

DOCS = ["d00", "d01", "d02", "d03"]


def waves(jobs) -> list[list[str]]:
    """custom_ids of each batch's input file, in the order the batches were created."""
    return [sorted(line["custom_id"] for line in jobs.file_lines(b.input_file_id))
            for b in jobs.batches.values()]


def run_in_process(recipe: Path, run: Path, **options) -> Runner:
    runner = Runner(load_recipe(recipe), run, RunOptions(progress=False, use_cache=False,
                                                         **options))
    asyncio.run(runner.run())
    return runner


@pytest.fixture
def server(openai_jobs_server):
    openai_jobs_server.responder = refining_responder
    return openai_jobs_server


def test_refine_rounds_run_as_batches_with_a_failure_retried_next_round(tmp_path, server):
    jobs = server.jobs
    jobs.fail_in_batch("d01/0/0")  # one request of the first batch lands in the error file
    recipe = batch_recipe(tmp_path, server.url)
    out = distil("run", str(recipe), "--run-dir", str(tmp_path / "run"), "--no-cache")
    assert out.returncode == 0, out.stderr
    run = tmp_path / "run"

    # round 0 for all; then round 1 for three, with d01's failed round 0 sent again; then d01
    assert waves(jobs) == [[f"{d}/0/0" for d in DOCS],
                           ["d00/0/1", "d01/0/0", "d02/0/1", "d03/0/1"],
                           ["d01/0/1"]]
    assert [b.metadata["distil_wave"] for b in jobs.batches.values()] == ["1", "2", "3"]
    assert not server.chat_requests  # nothing went through the online endpoint
    second = {line["custom_id"]: line for line in
              jobs.file_lines(list(jobs.batches.values())[1].input_file_id)}
    assert second["d00/0/1"]["url"] == "/v1/chat/completions"
    turns = second["d00/0/1"]["body"]["messages"]
    assert [m["role"] for m in turns] == ["system", "user", "assistant", "user"]
    assert turns[2]["content"] == LONG and "shorter" in turns[3]["content"].lower()
    assert "retry in the next round" in out.stderr

    # every document accepted after feedback; the failed request left no attempt behind
    assert storeview.statuses(run) == {d: "accepted" for d in DOCS}
    attempts = sorted((a.doc_id, a.attempt.round, a.attempt.passed, a.attempt.error)
                      for a in storeview.attempts(run))
    assert attempts == [(d, r, bool(r), None) for d in DOCS for r in (0, 1)]
    examples = [json.loads(x) for x in (run / "train.jsonl").read_text().splitlines()]
    assert sorted(e["messages"][-1]["content"] for e in examples) == [SHORT] * 4

    # half price: the recipe's prices are $1 / $2 per million tokens
    for a in storeview.attempts(run):
        usage, cost = a.attempt.completion.usage, a.cost
        prompt, completion = usage.prompt_tokens, usage.completion_tokens
        assert prompt > 0 and cost == pytest.approx(0.5 * (prompt * 1e-6 + completion * 2e-6))

    # batch ids were kept in the run's job ledger, and every batch is marked done
    ledger = storeview.meta(run, "jobs")
    records = [ledger[k] for k in sorted(ledger) if k.startswith("batch/")]
    assert sorted(ledger) == ["batch/1/0", "batch/2/0", "batch/3/0"]
    assert [r["id"] for r in records] == list(jobs.batches)
    assert all(r["status"] == "done" for r in records)
    assert [r["request_count"] for r in records] == [4, 4, 1]


def test_an_interrupted_run_reattaches_to_its_batch(tmp_path, server, monkeypatch, capsys):
    jobs = server.jobs
    recipe = batch_recipe(tmp_path, server.url, name="batch-resume")
    run = tmp_path / "run"
    real_status = OpenAIModel.batch_status

    async def ctrl_c(self, batch_id):
        raise KeyboardInterrupt

    monkeypatch.setattr(OpenAIModel, "batch_status", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        run_in_process(recipe, run)
    assert len(jobs.batches) == 1  # submitted, then stopped while polling
    (first,) = jobs.batches
    assert f"batch {first} keeps running" in capsys.readouterr().err

    monkeypatch.setattr(OpenAIModel, "batch_status", real_status)
    runner = run_in_process(recipe, run)
    assert f"re-attaching to batch {first} (recorded in this run)" in capsys.readouterr().err
    assert waves(jobs) == [[f"{d}/0/0" for d in DOCS], [f"{d}/0/1" for d in DOCS]]
    assert runner.last_results["generate"]["accepted"] == 4
    assert storeview.attempt_count(run) == 8


def test_a_refused_request_fails_at_once_and_retries_are_bounded(tmp_path, server):
    jobs = server.jobs
    jobs.fail_in_batch("d00/0/0", status=400)   # cannot succeed: not retried
    jobs.fail_in_batch("d02/0/0", times=10)     # keeps failing: retried `retries` (2) times
    recipe = batch_recipe(tmp_path, server.url, name="batch-failures")
    run = tmp_path / "run"
    run_in_process(recipe, run)
    ids = [c for wave in waves(jobs) for c in wave]
    assert ids.count("d00/0/0") == 1 and ids.count("d02/0/0") == 3
    outcomes = storeview.statuses(run)
    assert outcomes == {"d00": "failed", "d01": "accepted", "d02": "failed", "d03": "accepted"}
    errors = {a.doc_id: a.attempt.error for a in storeview.attempts(run) if a.attempt.error}
    assert "HTTP 400: Invalid request (loopback)." in errors["d00"]
    assert "server_error" in errors["d02"]


def test_a_batch_failed_as_a_whole_stops_the_run_with_the_reason(tmp_path, server):
    server.jobs.fail_next_batch("Line 1: the body is not valid JSON.", "invalid_json")
    recipe = batch_recipe(tmp_path, server.url, name="batch-refused")
    out = distil("run", str(recipe), "--run-dir", str(tmp_path / "run"), "--no-cache")
    assert out.returncode == 2
    assert ("failed: line 1: invalid_json: Line 1: the body is not valid JSON."
            in out.stderr.strip().splitlines()[-1])


def test_max_cost_stops_before_a_batch_is_submitted(tmp_path, server):
    recipe = batch_recipe(tmp_path, server.url, name="batch-budget")
    with pytest.raises(BudgetExceeded):
        run_in_process(recipe, tmp_path / "run", max_cost=1e-9)
    assert not server.jobs.batches and not server.jobs.files


def test_batch_execution_needs_a_model_with_a_batch_api(tmp_path):
    recipe = batch_recipe(tmp_path, "http://127.0.0.1:9/v1", name="batch-scripted",
                          model="{scripted: {outputs: [hi]}}")
    with pytest.raises(RecipeError) as caught:
        load_recipe(recipe)
    message = str(caught.value)
    assert "teacher.execution" in message and "batch API" in message
    out = distil("validate", str(recipe))
    assert out.returncode == 2 and "teacher.execution" in out.stderr


def test_best_of_n_candidates_travel_in_one_batch(tmp_path, server):
    recipe = batch_recipe(tmp_path, server.url, name="batch-best-of-n",
                          strategy="{best_of_n: {n: 3}}")
    runner = run_in_process(recipe, tmp_path / "run")
    assert waves(server.jobs) == [sorted(f"{d}/{i}/0" for d in DOCS for i in range(3))]
    # every candidate is the long first answer: none passes, the closest is kept
    assert runner.last_results["generate"]["kept_closest"] == 4
