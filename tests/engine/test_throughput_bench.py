"""bench/throughput.py, the benchmark docs/engine.md shows, runs as a user runs it.

The page's loads (1000 requests at 0.5 s, 3 to 5 rounds) take minutes; here the same script
runs on a small one (40 requests, L = 0.05 s, C = 8, one round), in both of its output forms,
and its figures are checked against what must hold whatever the machine's speed: nothing beats
the bound C/L, each side's time is at least N/C·L, and the exit status follows the targets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
N, LATENCY, CONCURRENCY = 40, 0.05, 8
ARGS = ["-n", str(N), "-l", str(LATENCY), "-c", str(CONCURRENCY), "-r", "1", "--sequential", "3"]


def bench(*extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bench/throughput.py", *ARGS, *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_json_figures_respect_the_bound_and_the_exit_status_follows_the_targets():
    out = bench("--json")
    assert out.returncode in (0, 1), out.stderr[-2000:]
    r = json.loads(out.stdout)
    bound = CONCURRENCY / LATENCY
    assert (r["n"], r["concurrency"], r["repeat"]) == (N, CONCURRENCY, 1)
    assert r["bound_req_per_s"] == bound
    for side in ("engine", "bare_sdk"):
        assert r[side]["seconds"] >= N / CONCURRENCY * LATENCY * 0.99, r[side]
        assert r[side]["req_per_s"] == pytest.approx(N / r[side]["seconds"])
        assert r[side]["fraction_of_bound"] <= 1.01
    ratio = r["engine"]["req_per_s"] / r["bare_sdk"]["req_per_s"]
    assert r["engine_over_sdk"] == pytest.approx(ratio)
    assert r["sequential"]["sampled"] == 3 and r["sequential"]["seconds_per_request"] >= LATENCY
    assert r["engine_cpu_ms_per_request_direct"] > 0
    meets = r["engine_over_sdk"] >= 0.9 and r["engine_cpu_ms_per_request"] < 1.0
    assert out.returncode == (0 if meets else 1)


def test_the_table_states_the_load_and_whether_it_meets_the_targets():
    out = bench()
    assert out.returncode in (0, 1), out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"N={N} requests, latency L={LATENCY:g} s, concurrency "
                               f"C={CONCURRENCY}; bound C/L = {CONCURRENCY / LATENCY:.1f} req/s")
    assert [line.split()[0] for line in lines[1:3]] == ["engine", "bare"]
    assert lines[-1] == ("targets: meets" if out.returncode == 0 else "targets: MISSES")
