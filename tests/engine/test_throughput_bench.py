"""bench/throughput.py, the benchmark docs/engine.md shows, runs as a user runs it.

The page's loads (1000 requests at 0.5 s, 3 to 5 rounds) take minutes; here the same script
runs on a small one (40 requests, L = 0.05 s, C = 8, one round), in both of its output forms,
and its figures are checked against what must hold whatever the machine's speed: nothing beats
the bound C/L, each side's time is at least N/C·L, and the exit status follows the targets.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
N, LATENCY, CONCURRENCY = 40, 0.05, 8
SEQUENTIAL = 3
ARGS = ["-n", str(N), "-l", str(LATENCY), "-c", str(CONCURRENCY), "-r", "1", "--sequential",
        str(SEQUENTIAL)]
BOUND = CONCURRENCY / LATENCY
FASTEST = N / CONCURRENCY * LATENCY  # seconds: no side can be done sooner
TARGET_RATIO, TARGET_CPU_MS = 0.9, 1.0  # bench/throughput.py's targets, as docs/engine.md says


def bench(*extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bench/throughput.py", *ARGS, *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_json_figures_respect_the_bound_and_the_exit_status_follows_the_targets():
    out = bench("--json")
    assert out.returncode in (0, 1), out.stderr[-2000:]  # 2 or a traceback: it broke
    r = json.loads(out.stdout)
    assert (r["n"], r["latency_s"], r["concurrency"], r["repeat"]) == (
        N, LATENCY, CONCURRENCY, 1)
    assert r["bound_req_per_s"] == BOUND
    assert r["transport"] == "aiohttp"
    (one,) = r["rounds"]
    for side, key in (("engine", "engine"), ("bare_sdk", "sdk")):
        figures = r[side]
        assert figures["seconds"] == one[f"{key}_seconds"] >= FASTEST * 0.99, figures
        assert figures["req_per_s"] == pytest.approx(N / figures["seconds"])
        assert figures["fraction_of_bound"] == pytest.approx(figures["req_per_s"] / BOUND)
        assert 0 < figures["fraction_of_bound"] <= 1.01
        assert figures["cpu_s"] == one[f"{key}_cpu"] >= 0
    ratio = r["engine"]["req_per_s"] / r["bare_sdk"]["req_per_s"]
    assert r["engine_over_sdk"] == pytest.approx(ratio) == one["engine_over_sdk"]
    cpu_ms = (one["engine_cpu"] - one["sdk_cpu"]) / N * 1000
    assert r["engine_cpu_ms_per_request"] == pytest.approx(cpu_ms)
    q = r["sequential"]
    assert q["sampled"] == SEQUENTIAL and q["seconds_per_request"] >= LATENCY
    assert q["extrapolated_seconds"] == pytest.approx(q["seconds_per_request"] * N)
    assert r["speedup_over_sequential"] == pytest.approx(
        q["extrapolated_seconds"] / r["engine"]["seconds"])
    assert r["engine_cpu_ms_per_request_direct"] > 0
    meets = r["engine_over_sdk"] >= TARGET_RATIO and r["engine_cpu_ms_per_request"] < TARGET_CPU_MS
    assert out.returncode == (0 if meets else 1)


F = r"[-+]?\d+(?:\.\d+)?"
TABLE = [  # each line of the table, in order, with the figures it carries
    re.escape(f"N={N} requests, latency L={LATENCY:g} s, concurrency C={CONCURRENCY}; bound "
              f"C/L = {BOUND:.1f} req/s; median of 1 rounds; the engine and the bare SDK on "
              f"aiohttp"),  # the openai model's default transport
    rf"engine +(?P<e_rps>{F}) req/s  \((?P<e_s>{F}) s\)  (?P<e_frac>{F}) of the bound",
    rf"bare SDK +(?P<s_rps>{F}) req/s  \((?P<s_s>{F}) s\)  (?P<s_frac>{F}) of the bound",
    rf"engine / bare SDK: (?P<ratio>{F})  \(target >= {TARGET_RATIO}\)",
    rf"sequential loop: (?P<q_ms>{F}) ms/request over (?P<q_n>\d+) requests -> (?P<q_s>{F}) s "
    rf"for N; engine speed-up x(?P<speedup>{F})",
    rf"engine CPU beyond the SDK: (?P<cpu_ms>{F}) ms/request \(engine (?P<e_cpu>{F}) s, SDK "
    rf"(?P<s_cpu>{F}) s; target < {TARGET_CPU_MS} ms\)",
    rf"engine CPU measured directly \(scripted model, no HTTP\): (?P<direct>{F}) ms/request",
    rf"rounds \(ratio / CPU difference\): (?P<r_ratio>{F}) / (?P<r_cpu>{F}) ms",
    r"targets: (?P<targets>meets|MISSES)",
]


def read_table(text: str) -> dict[str, str]:
    lines = text.splitlines()
    assert len(lines) == len(TABLE), text
    figures: dict[str, str] = {}
    for line, pattern in zip(lines, TABLE, strict=True):
        match = re.fullmatch(pattern, line)
        assert match, f"{line!r} is not {pattern!r}"
        figures.update(match.groupdict())
    return figures


def test_the_table_states_the_load_its_figures_and_whether_they_meet_the_targets():
    out = bench()
    assert out.returncode in (0, 1), out.stderr[-2000:]  # 2 or a traceback: it broke
    t = read_table(out.stdout)
    v = {k: float(x) for k, x in t.items() if k != "targets"}
    for side in ("e", "s"):  # figures rounded to 0.1 req/s, 0.01 s and 0.001
        seconds, rps = v[f"{side}_s"], v[f"{side}_rps"]
        assert seconds >= FASTEST * 0.99 - 0.005  # nothing beats the bound ...
        assert 0 < v[f"{side}_frac"] <= 1.01
        assert N / (seconds + 0.005) - 0.05 <= rps <= N / (seconds - 0.005) + 0.05
        assert v[f"{side}_frac"] == pytest.approx(rps / BOUND, abs=0.0015)
    assert v["ratio"] == pytest.approx(v["e_rps"] / v["s_rps"], rel=0.01, abs=0.002)
    assert v["q_n"] == SEQUENTIAL and v["q_ms"] >= LATENCY * 1000 - 0.05
    assert v["q_s"] == pytest.approx(v["q_ms"] / 1000 * N, abs=0.51)
    assert v["speedup"] == pytest.approx(v["q_ms"] / 1000 * N / v["e_s"], rel=0.03, abs=0.051)
    assert v["e_cpu"] >= 0 and v["s_cpu"] >= 0 and v["direct"] > 0
    assert v["cpu_ms"] == pytest.approx((v["e_cpu"] - v["s_cpu"]) / N * 1000, abs=0.26)
    # one round: its figures are the medians
    assert (t["r_ratio"], v["r_cpu"]) == (t["ratio"], pytest.approx(v["cpu_ms"], abs=0.0051))
    # the verdict is the one the printed figures give (unless one sits on a threshold, where
    # rounding could tip it), and the exit status says the same
    if abs(v["ratio"] - TARGET_RATIO) > 0.0005 and abs(v["cpu_ms"] - TARGET_CPU_MS) > 0.0005:
        meets = v["ratio"] >= TARGET_RATIO and v["cpu_ms"] < TARGET_CPU_MS
        assert t["targets"] == ("meets" if meets else "MISSES")
    assert out.returncode == (0 if t["targets"] == "meets" else 1)
