"""The API key's value appears nowhere on disk: not in the run directory, not in the cache.

The key travels only in the Authorization header. A server that echoes it back in an error
(OpenAI's 401 says "Incorrect API key provided: sk-...") must not get it into the store either.
"""

from __future__ import annotations

import itertools
import signal
from pathlib import Path

from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import API_KEY, KEY_ENV, doc_text, env, kill, start, summary_reply, \
    wait_for_attempts, write_recipe
from tests.loopback import Reply

LEAKY = {doc_text(i) for i in range(3, 1000, 10)}  # answered with a 401 that quotes the key


def leaky(payload):
    user = next(m["content"] for m in payload["messages"] if m["role"] == "user")
    if user in LEAKY:
        return Reply.http_error(401, f"Incorrect API key provided: {API_KEY}. You can find "
                                     "your API key at https://example.invalid/api-keys.")
    return summary_reply(payload)


def files_holding(directory: Path, secret: bytes) -> list[Path]:
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files
    return [p for p in files if secret in p.read_bytes()]


def secrets_in(directory: Path) -> list[Path]:
    # the whole key, and its tail alone (in case something kept a cut or masked prefix)
    return files_holding(directory, API_KEY.encode()) + \
        files_holding(directory, API_KEY[-16:].encode())


def test_the_api_key_is_nowhere_in_the_run_directory_or_the_cache(loopback_server, tmp_path):
    loopback_server.responder = leaky
    loopback_server.faults, loopback_server.seed = 0.2, 5
    loopback_server.fault_retry_after = 0.05
    cache = tmp_path / "cache"
    recipe = write_recipe(tmp_path, loopback_server.url, docs=30,
                          split={"train": 20, "validation": 5, "test": 5},
                          model={"timeout": 1.0})
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path,
                 env=env(DISTIL_CACHE_DIR=str(cache)))
    assert out.returncode == 1, out.stderr  # the leaky document failed
    # the key was really used, and really echoed back by the server
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}"
               for r in loopback_server.chat_requests)
    errors = [e for a in storeview.attempts(tmp_path / "run")
              if (e := a.attempt.error) and "HTTP 401" in e]
    assert len(errors) == 3  # d0003, d0013, d0023
    assert all("Incorrect API key provided: [redacted]." in e for e in errors)
    assert (cache / "responses.sqlite").is_file()
    assert secrets_in(tmp_path / "run") == []
    assert secrets_in(cache) == []
    assert API_KEY not in out.stdout + out.stderr
    assert KEY_ENV in (tmp_path / "run" / "recipe.yaml").read_text()  # named, never valued


def test_the_api_key_is_not_in_a_killed_runs_write_ahead_log(loopback_server, tmp_path):
    loopback_server.responder = leaky
    loopback_server.latency = 0.05
    recipe = write_recipe(tmp_path, loopback_server.url, docs=200, concurrency=4)
    proc = start("run", str(recipe), "--run-dir", "run", "--no-cache", cwd=tmp_path)
    def redacted() -> bool:
        return any("[redacted]" in (a.attempt.error or "")
                   for a in storeview.attempts(tmp_path / "run"))

    for at_least in itertools.count(20, 10):  # until an echoed key has been stored
        wait_for_attempts(tmp_path / "run", proc, at_least)
        if redacted():
            break
    assert kill(proc) == -signal.SIGKILL
    wal = (tmp_path / "run" / "store.sqlite-wal").read_bytes()
    assert b"[redacted]" in wal  # the echoed error is there, in the log a kill leaves behind
    assert secrets_in(tmp_path) == []  # run directory, its WAL, the recipe, the output
