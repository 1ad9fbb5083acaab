"""The Batch API path goes through the same request pipeline as online generation.

Each test pins one step the pipeline owns, so the batch path cannot quietly grow its own copy:
the response cache, the seed of a fresh conversation (restart), and the store's lookup that
answers only what succeeded (a failed request is asked again on resume).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from distil.engine.context import RunOptions
from distil.engine.runner import Runner
from distil.recipe import load_recipe
from tests import storeview
from tests.students.batch_recipes import LONG, batch_recipe, refining_responder

DOCS = ["d00", "d01", "d02", "d03"]


def run(recipe: Path, run_dir: Path, **options) -> Runner:
    runner = Runner(load_recipe(recipe), run_dir, RunOptions(progress=False, **options))
    asyncio.run(runner.run())
    return runner


def batch_bodies(jobs) -> dict[str, dict]:
    """custom_id -> request body, over every batch the server was given."""
    return {line["custom_id"]: line["body"] for b in jobs.batches.values()
            for line in jobs.file_lines(b.input_file_id)}


@pytest.fixture
def server(openai_jobs_server):
    openai_jobs_server.responder = refining_responder
    return openai_jobs_server


def test_a_second_run_is_answered_from_the_cache_without_a_batch(tmp_path, server):
    recipe = batch_recipe(tmp_path, server.url, name="batch-cache")
    run(recipe, tmp_path / "first")
    submitted = len(server.jobs.batches)
    assert submitted == 2  # round 0, then round 1
    run(recipe, tmp_path / "second")
    assert len(server.jobs.batches) == submitted  # nothing new was sent
    attempts = storeview.attempts(tmp_path / "second")
    assert len(attempts) == 8 and all(a.attempt.completion.cached for a in attempts)
    assert storeview.statuses(tmp_path / "second") == {d: "accepted" for d in DOCS}


def test_a_fresh_conversation_gets_its_own_seed_in_the_batch(tmp_path, server):
    server.responder = lambda payload: LONG  # never passes: every restart is used
    model = (f'{{openai: {{model: gpt-4o-mini, base_url: "{server.url}", api_key_env: null, '
             f'params: {{seed: 3}}, retries: 2}}}}')
    recipe = batch_recipe(tmp_path, server.url, name="batch-restarts", model=model,
                          strategy="{refine: {max_rounds: 1, restarts: 1}}")
    run(recipe, tmp_path / "run", use_cache=False)
    bodies = batch_bodies(server.jobs)
    assert sorted(bodies) == sorted(f"{d}/{r}/0" for d in DOCS for r in (0, 1))
    assert {bodies[f"{d}/0/0"]["seed"] for d in DOCS} == {3}
    assert {bodies[f"{d}/1/0"]["seed"] for d in DOCS} == {4}  # seed + restart


def test_a_request_that_failed_is_asked_again_on_resume(tmp_path, server):
    server.jobs.fail_in_batch("d00/0/0", status=400)  # refused once: d00 fails
    recipe = batch_recipe(tmp_path, server.url, name="batch-retry-failed")
    first = run(recipe, tmp_path / "run", use_cache=False)
    assert first.last_outcome.failed_documents == 1
    assert storeview.statuses(tmp_path / "run")["d00"] == "failed"
    before = len(server.jobs.batches)

    again = run(recipe, tmp_path / "run", use_cache=False)
    assert again.last_outcome.failed_documents == 0
    assert storeview.statuses(tmp_path / "run") == {d: "accepted" for d in DOCS}
    new = [b for b in list(server.jobs.batches.values())[before:]]
    asked = [line["custom_id"] for b in new for line in server.jobs.file_lines(b.input_file_id)]
    assert asked == ["d00/0/0", "d00/0/1"]  # only the failed document, from its first request
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["totals"]["request_errors"] == 0
