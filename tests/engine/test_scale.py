"""A thousand documents through the real `distil run`, with a fifth of all requests faulted.

Every document must end accepted, rejected, or failed with a reason; none may be lost. The
faults are the loopback server's: 429 with Retry-After, 500, 503, hangs past the timeout,
dropped connections and truncated JSON, on a deterministic 20% of requests (a retried request
gets its own draw).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter

from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import ROUNDS, doc_text, env, expected_status, summary_reply, \
    write_recipe
from tests.loopback import LoopbackServer

DOCS = 1000
SPLIT = {"train": 800, "validation": 100, "test": 100}
# what a request that failed for good says, by fault (see distil_builtin.models.failures)
REASONS = re.compile(r"^openai/loopback-model: (HTTP (429|500|503): "
                     r"|request timed out after 1s|connection failed: |malformed response: )")


def test_a_thousand_documents_with_a_fifth_of_requests_faulted_all_end_somewhere(tmp_path):
    with LoopbackServer(summary_reply, latency=0.005, faults=0.2, seed=3,
                        fault_retry_after=0.05, hang_seconds=5) as server:
        # two tries per request: enough faults survive them to exercise failed documents
        recipe = write_recipe(tmp_path, server.url, docs=DOCS, split=SPLIT, concurrency=64,
                              model={"timeout": 1.0, "retries": 1})
        started = time.monotonic()
        out = distil("run", str(recipe), "--run-dir", "run", "--no-cache", cwd=tmp_path,
                     env=env())
        elapsed = time.monotonic() - started
        chat = server.chat_requests
    run = tmp_path / "run"
    outcomes = storeview.statuses(run)
    failed = [d for d, s in outcomes.items() if s == "failed"]
    assert out.returncode == (1 if failed else 0), out.stderr

    # the server really faulted about a fifth of what it was sent, of every kind
    faults = Counter(r.reply.fault or r.reply.status for r in chat if r.reply is not None
                     and (r.reply.fault or r.reply.status != 200))
    assert 0.15 < sum(faults.values()) / len(chat) < 0.25, faults
    assert set(faults) == {"hang", "drop", "malformed", 429, 500, 503}

    # none lost: every train and validation document has an outcome, every test one a record
    assert len(outcomes) == SPLIT["train"] + SPLIT["validation"]
    assert set(Counter(outcomes.values())) <= {"accepted", "rejected", "failed"}
    records = storeview.eval_records(run)
    assert len(records) == SPLIT["test"]
    assert not set(outcomes) & {r.doc_id for r in records}

    attempts = storeview.attempts(run, "generate")
    by_doc: dict[str, list[tuple]] = {}
    for a in attempts:
        by_doc.setdefault(a.doc_id, []).append((a.attempt.round, a.attempt.error,
                                                a.attempt.passed))
    assert set(by_doc) == set(outcomes)
    stored_counts = {d: o["attempts"] for d, o in storeview.outcomes(run).items()}
    for doc_id, status in outcomes.items():
        mine = by_doc[doc_id]
        assert stored_counts[doc_id] == len(mine)
        assert [r for r, _, _ in mine] == list(range(len(mine)))  # rounds in order, none twice
        errors = [e for _, e, _ in mine if e is not None]
        assert all(REASONS.match(e) for e in errors), errors
        text = doc_text(int(doc_id[1:]))
        if status == "failed":  # failed with a reason: its one request failed for good
            assert len(mine) == 1 and errors
        elif status == "accepted":
            assert mine[-1][2] == 1 and not errors
        else:  # rejected: ROUNDS answers that missed, or a failure after some that did
            assert not any(p for _, _, p in mine)
            assert len(mine) == ROUNDS or mine[-1][1] is not None
        if not errors:  # the teacher's script decides: nothing else may
            assert status == expected_status(text), doc_id
    assert failed, "two tries at 20% faults should leave a few requests failed for good"

    # the exports hold exactly the accepted documents, and results.json counts agree
    train = [json.loads(x) for x in (run / "train.jsonl").read_text().splitlines()]
    validation = [json.loads(x) for x in (run / "validation.jsonl").read_text().splitlines()]
    assert len(train) + len(validation) == Counter(outcomes.values())["accepted"]
    results = json.loads((run / "results.json").read_text())
    gen = results["generate"]
    assert (gen["documents"], gen["accepted"], gen["rejected"], gen["failed"]) == (
        len(outcomes), *(Counter(outcomes.values())[s] for s in ("accepted", "rejected",
                                                                 "failed")))
    assert gen["attempts"] == len(attempts)
    assert results["models"]["teacher"]["metrics"]["pass_rate"]["n"] == SPLIT["test"]
    assert elapsed < 240
