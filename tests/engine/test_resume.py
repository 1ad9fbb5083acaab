"""Killing `distil run` part way (SIGKILL, or Ctrl-C), then `--resume`.

Nothing finished may be lost or asked again, and the exports must equal those of a run that was
never interrupted. The loopback teacher's answers are a function of the request (see harness),
and a fifth of requests are faulted with enough retries that none fails for good, so the only
thing that can make the two runs differ is the engine.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import answered, comparable_results, conversation, env, kill, start, \
    summary_reply, wait_for_attempts, write_recipe
from tests.loopback import LoopbackServer

DOCS = 120
SPLIT = {"train": 90, "validation": 15, "test": 15}
CONCURRENCY = 8
# no hangs here (they only cost time); ten retries make a request failing for good a 1e-8 event
FAULT_KINDS = ("rate_limit", "server_error", "unavailable", "drop", "malformed")
MODEL = {"retries": 10, "retry_base_delay": 0.005}


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(summary_reply, latency=0.02, faults=0.2, seed=11,
                        fault_kinds=FAULT_KINDS, fault_retry_after=0.05) as s:
        yield s


def recipe_in(directory: Path, server: LoopbackServer) -> Path:
    return write_recipe(directory, server.url, docs=DOCS, split=SPLIT, concurrency=CONCURRENCY,
                        model=MODEL)


@pytest.fixture(scope="module")
def reference(server, tmp_path_factory) -> Path:
    """The same recipe, run once without interruption."""
    here = tmp_path_factory.mktemp("uninterrupted")
    out = distil("run", str(recipe_in(here, server)), "--run-dir", "run", "--no-cache",
                 cwd=here, env=env())
    assert out.returncode == 0, out.stderr
    return here / "run"


def settled(server: LoopbackServer) -> int:
    """How many requests the server has seen, once nothing more arrives from a dead client."""
    n = -1
    while n != len(server.requests):
        n = len(server.requests)
        time.sleep(0.3)
    return n


def assert_same_exports(run: Path, reference: Path) -> None:
    for name in ("train.jsonl", "validation.jsonl"):
        assert (run / name).read_bytes() == (reference / name).read_bytes(), name
    # exactly equal: floats included (sums are exact, records are in a fixed order)
    assert comparable_results(run) == comparable_results(reference)


def assert_resumed_without_loss_or_repeat(run: Path, before: list[tuple], resumed_requests,
                                          reference: Path) -> None:
    after = storeview.attempts(run)
    # nothing lost: every attempt committed before the stop is still there, unchanged
    assert after[: len(before)] == before
    # nothing repeated: the resumed run asked nothing a stored answer had already answered
    # (every request's messages are its own: each holds its document's text, once per round)
    done = {conversation(m.to_dict() for m in a.attempt.messages) for a in before
            if a.attempt.error is None}
    asked = answered(resumed_requests)
    assert not done & {conversation(r.json["messages"]) for r in asked}
    # ... and each answer it was sent became exactly one new stored attempt
    new = after[len(before):]
    assert len(asked) == len(new) and all(a.attempt.error is None for a in new)
    # one attempt per position, across the stop
    positions = [a.position for a in after]
    assert len(positions) == len(set(positions))
    assert len(after) == storeview.attempt_count(reference)
    assert sorted(a.request_key for a in after) == sorted(
        a.request_key for a in storeview.attempts(reference))


@pytest.mark.parametrize("fraction", [0.02, 0.5, 0.9])
def test_sigkill_then_resume_loses_nothing_repeats_nothing_and_exports_the_same(
        fraction, server, reference, tmp_path):
    total = storeview.attempt_count(reference)
    recipe = recipe_in(tmp_path, server)
    run = tmp_path / "run"
    proc = start("run", str(recipe), "--run-dir", "run", "--no-cache", cwd=tmp_path)
    first = len(server.requests)
    wait_for_attempts(run, proc, max(1, int(total * fraction)))
    assert kill(proc) == -signal.SIGKILL
    cut = settled(server)
    before = storeview.attempts(run)
    assert 0 < len(before) < total
    # the stop lost at most the requests in flight: answered, not yet committed
    killed_answers = len(answered(server.requests[first:cut]))
    committed = sum(1 for a in before if a.attempt.error is None)
    assert committed <= killed_answers <= committed + CONCURRENCY

    out = distil("run", "--resume", "run", "--no-cache", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    assert_resumed_without_loss_or_repeat(run, before, server.requests[cut:], reference)
    assert_same_exports(run, reference)


def test_ctrl_c_stops_cleanly_and_resume_completes(server, reference, tmp_path):
    total = storeview.attempt_count(reference)
    recipe = recipe_in(tmp_path, server)
    run = tmp_path / "run"
    proc = start("run", str(recipe), "--run-dir", "run", "--no-cache", cwd=tmp_path)
    first = len(server.requests)
    wait_for_attempts(run, proc, total // 3)
    assert kill(proc, signal.SIGINT) == 130
    cut = settled(server)
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "Interrupted: everything finished so far is saved." in stderr
    assert "Traceback" not in stderr
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["stages"]["run"]["status"] == "interrupted"
    assert manifest["finished"] is None
    assert not (run / "store.sqlite-wal").exists() or \
        (run / "store.sqlite-wal").stat().st_size == 0  # closed cleanly: checkpointed
    before = storeview.attempts(run)
    assert total // 3 <= len(before) < total
    killed_answers = len(answered(server.requests[first:cut]))
    committed = sum(1 for a in before if a.attempt.error is None)
    assert committed <= killed_answers <= committed + CONCURRENCY

    out = distil("run", "--resume", "run", "--no-cache", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    assert_resumed_without_loss_or_repeat(run, before, server.requests[cut:], reference)
    assert_same_exports(run, reference)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["stages"]["report"]["status"] == "done"
    assert manifest["stages"]["run"]["status"] == "done"
    assert manifest["finished"] is not None


def test_resume_carries_on_with_the_limit_the_run_was_started_with(loopback_server, tmp_path):
    loopback_server.responder = summary_reply
    recipe = write_recipe(tmp_path, loopback_server.url, docs=20,
                          split={"train": 10, "validation": 5, "test": 5})

    def documents() -> int:
        return len(storeview.outcomes(tmp_path / "run"))

    def ok(*args: str) -> None:
        out = distil(*args, cwd=tmp_path, env=env())
        assert out.returncode == 0, out.stderr

    ok("run", str(recipe), "--run-dir", "run", "--stage", "generate", "--limit", "2")
    assert documents() == 4  # two of train, two of validation
    ok("report", "run")  # a later command without --limit does not forget it
    ok("run", "--resume", "run")
    assert documents() == 4
    assert json.loads((tmp_path / "run" / "results.json").read_text())["models"]["teacher"][
        "metrics"]["pass_rate"]["n"] == 2
    ok("run", "--resume", "run", "--limit", "3")  # given again, it replaces the old one
    assert documents() == 6
