"""What the engine tests share: a deterministic teacher, a recipe, and ways to look at a run.

The teacher is the real `openai` model plugin pointed at the loopback server, whose answers
come from `summary_reply`: a pure function of the request's content. So a run that was killed
and resumed, and one that was not, are told exactly the same things, and their exports must
agree byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from tests.loopback import RecordedRequest, Reply
from tests.storeview import attempt_count

KEY_ENV = "DISTIL_ENGINE_TEST_KEY"
# Distinctive and fake: the tests grep for it byte for byte.
API_KEY = "sk-test-distil-engine-7f3a9c2e5b1d4f60a8e2"
MAX_WORDS = 5
ROUNDS = 3


# -- the teacher ------------------------------------------------------------------------------
def _user_texts(payload: dict[str, Any]) -> list[str]:
    return [m["content"] for m in payload["messages"] if m["role"] == "user"]


def kind_of(doc_text: str) -> int:
    """0, 1, 2: the answer passes at that refine round; 3: it never passes."""
    return int(hashlib.sha256(doc_text.encode()).hexdigest(), 16) % 4


def summary_reply(payload: dict[str, Any]) -> Reply:
    """The answer to a chat request, from its content alone.

    The document's own tag comes first so every answer is distinct; a passing answer has
    three words, a failing one more than MAX_WORDS (and one more for each earlier round, so
    a refine round never repeats the answer it is refining).
    """
    doc_text = _user_texts(payload)[0]
    round_ = sum(1 for m in payload["messages"] if m["role"] == "assistant")
    tag = doc_text.split()[1].rstrip(":")
    kind = kind_of(doc_text)
    n = 3 if kind < 3 and round_ >= kind else MAX_WORDS + 2 + round_
    return Reply(" ".join([f"summary-{tag}", *(f"w{i}" for i in range(n - 1))]))


def expected_status(doc_text: str) -> str:
    """What refine with ROUNDS rounds ends with for this document when no request fails."""
    return "rejected" if kind_of(doc_text) == 3 else "accepted"


# -- inputs -----------------------------------------------------------------------------------
def doc_text(i: int) -> str:
    return f"Document {i}: a short report about item number {i} and what happened to it."


def write_corpus(path: Path, n: int) -> Path:
    path.write_text("".join(json.dumps({"id": f"d{i:04d}", "text": doc_text(i)}) + "\n"
                            for i in range(n)), encoding="utf-8")
    return path


def write_recipe(directory: Path, url: str, *, docs: int, split: dict[str, int] | None = None,
                 strategy: Any = None, concurrency: int = 16, model: dict[str, Any] | None = None,
                 evaluate: bool = True, name: str = "engine-test") -> Path:
    """A recipe whose teacher is `openai` at `url`, over `docs` generated documents."""
    corpus = write_corpus(directory / "docs.jsonl", docs)
    teacher_model = {
        "model": "loopback-model", "base_url": url, "api_key_env": KEY_ENV,
        "retry_base_delay": 0.01, "timeout": 10.0,
        "prices": {"input_per_million": 1.0, "output_per_million": 3.0},
        **(model or {}),
    }
    recipe: dict[str, Any] = {
        "name": name,
        "corpus": {"jsonl": {"path": str(corpus)}, "seed": 7,
                   **({"split": split} if split else {})},
        "prompt": {"system": f"Summarise in at most {MAX_WORDS} words.",
                   "user": "{{ doc.text }}"},
        "constraints": [{"word_count": {"max": MAX_WORDS}}],
        "teacher": {"model": {"openai": teacher_model},
                    "strategy": strategy or {"refine": {"max_rounds": ROUNDS}},
                    "concurrency": concurrency},
        "report": ["json"],
    }
    if evaluate:
        recipe["evaluate"] = {"models": ["teacher"], "metrics": ["length_stats", "pass_rate"],
                              "concurrency": concurrency}
    path = directory / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path


def env(**extra: str) -> dict[str, str]:
    """The test's environment plus the API key, for `distil` subprocesses."""
    return {**os.environ, KEY_ENV: API_KEY, **extra}


def start(*args: str, cwd: Path, environ: dict[str, str] | None = None) -> subprocess.Popen:
    """`distil ARGS` in the background (stdout and stderr to files in `cwd`)."""
    return subprocess.Popen([sys.executable, "-m", "distil", *args], cwd=cwd,
                            env=environ or env(), stdout=(cwd / "stdout.txt").open("wb"),
                            stderr=(cwd / "stderr.txt").open("wb"))


# -- looking at a run (what the store holds: tests/storeview.py) ------------------------------
def wait_for_attempts(run_dir: Path, proc: subprocess.Popen, at_least: int,
                      timeout: float = 120) -> int:
    """Poll the store until it holds `at_least` attempts; fail if the run ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = attempt_count(run_dir)
        if n >= at_least:
            return n
        assert proc.poll() is None, f"the run ended (status {proc.returncode}) before " \
                                    f"{at_least} attempts were stored (it had {n})"
        time.sleep(0.005)
    raise AssertionError(f"no {at_least} attempts within {timeout}s")


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> int:
    os.kill(proc.pid, sig)
    return proc.wait(timeout=60)


def answered(requests: Iterable[RecordedRequest]) -> list[RecordedRequest]:
    """Chat requests the server answered with a real completion (no fault, status 200)."""
    return [r for r in requests if r.path == "/v1/chat/completions" and r.reply is not None
            and r.reply.fault is None and r.reply.status == 200]


def comparable_results(run_dir: Path) -> dict[str, Any]:
    """results.json without what names the run itself (directory, clock times)."""
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    results.pop("run")
    return results


def conversation(messages: Iterable[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """Chat messages as a hashable value, whether they came off the wire or out of the store."""
    return tuple((m["role"], m["content"]) for m in messages)

