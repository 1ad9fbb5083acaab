"""How the engine sends requests, seen from the loopback server: Retry-After, rpm, the cache.

Each test runs the real `distil run` against the real `openai` model plugin.
"""

from __future__ import annotations

import collections
import itertools
import json
from pathlib import Path

from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import doc_text, env, summary_reply, write_recipe
from tests.loopback import Reply


def run(recipe: Path, run_dir: str, *args: str, **environ: str):
    out = distil("run", str(recipe), "--run-dir", run_dir, *args, cwd=recipe.parent,
                 env=env(**environ))
    assert out.returncode == 0, out.stderr
    return out


def test_retry_after_is_honoured_and_plain_backoff_is_short(loopback_server, tmp_path):
    # one document at a time: its 429 (Retry-After: 1 s), then the next one's 429 without it
    loopback_server.enqueue(Reply.rate_limited(retry_after=1), "a b",
                            Reply.rate_limited(retry_after=None), "a b")
    recipe = write_recipe(tmp_path, loopback_server.url, docs=2, strategy="single",
                          concurrency=1, evaluate=False)
    run(recipe, "run", "--no-cache")
    t = [r.received_at for r in loopback_server.chat_requests]
    assert [r.reply.status for r in loopback_server.chat_requests] == [429, 200, 429, 200]
    assert t[1] - t[0] >= 0.95  # the server asked for a second
    assert t[3] - t[2] < 0.5  # backoff alone: retry_base_delay is 0.01 s
    assert list(storeview.statuses(tmp_path / "run").values()) == ["accepted"] * 2
    assert sum(a.attempt.error is None for a in storeview.attempts(tmp_path / "run")) == 2


def test_rpm_limit_spaces_requests_out(loopback_server, tmp_path):
    rpm, n = 200, 9  # at most one request every 0.3 s
    loopback_server.latency = 0.5  # without the limit, all nine would be in flight at once
    loopback_server.responder = lambda payload: Reply("a short answer")  # passes: exit 0
    # The generate stage's one request warms the client up (its first call imports the SDK,
    # which would delay that request past the next one); the nine evaluation requests that
    # follow are then sent when the limiter lets them go.
    recipe = write_recipe(tmp_path, loopback_server.url, docs=n + 1, strategy="single",
                          split={"train": 1, "validation": 0, "test": n}, concurrency=n,
                          model={"rpm": rpm})
    run(recipe, "run", "--no-cache")
    t = sorted(r.received_at for r in loopback_server.chat_requests)
    assert len(t) == n + 1
    spacing = 60 / rpm
    for i, j in itertools.combinations(range(n + 1), 2):
        # never faster than rpm/60 a second, over any stretch (0.1 s allowed for jitter)
        assert t[j] - t[i] >= (j - i) * spacing - 0.1, (i, j, t[j] - t[i])
    assert loopback_server.max_in_flight <= 3


def test_cached_rerun_sends_nothing_and_no_cache_sends_everything(loopback_server, tmp_path):
    loopback_server.responder = summary_reply
    cache = str(tmp_path / "cache")
    recipe = write_recipe(tmp_path, loopback_server.url, docs=12,
                          split={"train": 8, "validation": 2, "test": 2})
    run(recipe, "first", DISTIL_CACHE_DIR=cache)
    sent = len(loopback_server.chat_requests)
    assert sent > 12  # refine needed more than one round for some documents

    run(recipe, "cached", DISTIL_CACHE_DIR=cache)
    assert len(loopback_server.chat_requests) == sent  # not one request
    run(recipe, "uncached", "--no-cache", DISTIL_CACHE_DIR=cache)
    assert len(loopback_server.chat_requests) == 2 * sent  # every one of them again

    for name in ("train.jsonl", "validation.jsonl"):
        first = (tmp_path / "first" / name).read_bytes()
        assert first
        assert (tmp_path / "cached" / name).read_bytes() == first
        assert (tmp_path / "uncached" / name).read_bytes() == first
    results = {d: json.loads((tmp_path / d / "results.json").read_text())
               for d in ("first", "cached", "uncached")}
    assert results["first"]["totals"]["cost"] > 0
    assert results["cached"]["totals"]["cost"] == 0  # served from the cache: paid nothing
    assert results["uncached"]["totals"]["cost"] == results["first"]["totals"]["cost"]


def test_a_refine_retry_is_never_served_the_answer_it_is_retrying(loopback_server, tmp_path):
    # A fresh conversation (restart) sends exactly the messages the first one did. The
    # server fails each first asking and passes each second one.
    seen: collections.Counter[str] = collections.Counter()

    def first_fails(payload):
        key = json.dumps(payload["messages"])
        seen[key] += 1
        return "far too many words in this answer" if seen[key] == 1 else "short enough"

    loopback_server.responder = first_fails
    cache = str(tmp_path / "cache")
    recipe = write_recipe(tmp_path, loopback_server.url, docs=3, evaluate=False,
                          strategy={"refine": {"max_rounds": 1, "restarts": 2}})
    run(recipe, "first", DISTIL_CACHE_DIR=cache)
    bodies = collections.Counter(r.body for r in loopback_server.chat_requests)
    assert sorted(bodies.values()) == [2, 2, 2]  # the same request twice per document
    run(recipe, "again", DISTIL_CACHE_DIR=cache)
    assert len(loopback_server.chat_requests) == 6  # the re-run was served by the cache ...
    for d in ("first", "again"):
        got = sorted((a.doc_id, a.attempt.restart, a.text, a.attempt.passed)
                     for a in storeview.attempts(tmp_path / d))
        # ... each position with its own answer: the retry got the answer that passed
        assert [g[1:] for g in got] == [(0, "far too many words in this answer", False),
                                        (1, "short enough", True)] * 3, d
        assert set(storeview.statuses(tmp_path / d).values()) == {"accepted"}


def test_progress_bar_shows_done_accepted_failed_cost_and_rate(loopback_server, tmp_path):
    loopback_server.responder = summary_reply
    recipe = write_recipe(tmp_path, loopback_server.url, docs=8, evaluate=False)
    out = run(recipe, "run", "--no-cache", "--progress", COLUMNS="200")  # room for it all
    bar = [line for line in out.stderr.splitlines() if line.startswith("generate")]
    assert bar, out.stderr
    last = bar[-1]
    outcomes = collections.Counter(storeview.statuses(tmp_path / "run").values())
    cost = storeview.totals(tmp_path / "run")["cost"]
    assert "8/8" in last
    assert f"accepted {outcomes['accepted']}" in last and "failed 0" in last
    assert f"${cost:.4f}" in last
    assert "docs/min" in last


def test_doc_text_is_what_the_teacher_tags():  # the harness's own promise, checked once
    reply = summary_reply({"messages": [{"role": "user", "content": doc_text(42)}]})
    assert reply.text.startswith("summary-42 ")
