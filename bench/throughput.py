"""How close the engine comes to the bare OpenAI SDK on the same work, and to the bound.

    python bench/throughput.py                        # N=1000 requests, L=0.5 s, C=64
    python bench/throughput.py -n 2000 -l 0.2 -c 128  # other sizes
    python bench/throughput.py -r 5 --json            # five rounds, every figure as JSON
    python bench/throughput.py --transport httpx      # the engine and the SDK on httpx

One run, three ways over the same N single-shot chat requests to the loopback server (started
here as a separate process with latency L, so its CPU is not counted as the client's):

1. the bare SDK, the reference: `AsyncOpenAI` with asyncio and a semaphore of C;
2. the engine: a recipe whose teacher is the `openai` model plugin pointed at the server, strategy
   `single`, concurrency C, response cache off, run through `Runner.generate` into a fresh run
   directory — rendering, store look-up, rate-limit and retry wrappers, pricing, the SQLite
   commit of every attempt and its outcome included;
3. a sequential loop like the write-up's (one synchronous request after another) on a small
   subset, extrapolated to N.

The SDK and the engine run in R rounds (`--repeat`, default 3) that alternate which goes
first; the figures are medians over the rounds, and `--json` lists every round.

Printed: requests per second for the engine and the SDK, their ratio, each as a fraction of the
bound C/L requests per second (N requests cannot finish before N/C·L seconds), the engine's
speed-up over the sequential loop, and the engine's own CPU per request beyond the SDK's
(`time.process_time()` of each phase, difference divided by N). The SDK's own CPU per request
(several ms, most of it in httpcore's connection pool) swings with the load on the machine by
more than the engine's whole share, so the engine's CPU is also measured directly: the same
Runner path with the built-in `scripted` model, no HTTP at all. Targets: the engine at least
0.9 of the SDK's throughput, under 1 ms of its own CPU per request (the difference figure);
the exit status is 1 when either is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
KEY_ENV = "DISTIL_BENCH_API_KEY"
SYSTEM = "Summarise the document in one line."
TARGET_RATIO = 0.9
TARGET_CPU_MS = 1.0


def start_server(latency: float, argv: list[str] | None = None
                 ) -> tuple[subprocess.Popen[str], str]:
    """`python -m tests.loopback` (or `python ARGV...`, a server that prints its URL first) in
    its own process; returns it and its base URL."""
    argv = argv or ["-m", "tests.loopback", "--latency", str(latency)]
    proc = subprocess.Popen([sys.executable, *argv], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"the loopback server did not start (said {url!r})")
    return proc, url


def documents(n: int) -> list[str]:
    return [f"Document {i}: the quick brown fox jumps over the lazy dog, take {i}."
            for i in range(n)]


def messages_for(text: str) -> list[dict[str, str]]:
    """Exactly what the engine's recipe renders, so both sides send the same bytes."""
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]


# -- the reference: bare SDK ------------------------------------------------------------------
async def bare_sdk(url: str, texts: list[str], concurrency: int, timeout: float,
                   transport: str = "httpx") -> float:
    import openai

    http = (openai.DefaultAioHttpClient if transport == "aiohttp"
            else openai.DefaultAsyncHttpxClient)(timeout=timeout)
    client = openai.AsyncOpenAI(api_key=os.environ[KEY_ENV], base_url=url, timeout=timeout,
                                max_retries=0, http_client=http)
    sem = asyncio.Semaphore(concurrency)

    async def one(text: str) -> str:
        async with sem:
            response = await client.chat.completions.create(model="loopback-model",
                                                            messages=messages_for(text))
            return response.choices[0].message.content or ""

    started = time.perf_counter()
    answers = await asyncio.gather(*(one(t) for t in texts))
    elapsed = time.perf_counter() - started
    await client.close()
    assert answers == texts, "the bare SDK got unexpected answers"
    return elapsed


# -- the engine ---------------------------------------------------------------------------------
def write_recipe(work: Path, url: str, texts: list[str], concurrency: int,
                 timeout: float, transport: str = "aiohttp") -> Path:
    import yaml

    corpus = work / "docs.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n"
                              for i, t in enumerate(texts)), encoding="utf-8")
    recipe = {
        "name": "bench-throughput",
        "corpus": {"jsonl": {"path": str(corpus)}, "seed": 0},
        "prompt": {"system": SYSTEM, "user": "{{ doc.text }}"},
        "teacher": {
            "model": {"openai": {
                "model": "loopback-model", "base_url": url, "api_key_env": KEY_ENV,
                "timeout": timeout, "transport": transport,
                "prices": {"input_per_million": 0.15, "output_per_million": 0.6},
            }},
            "strategy": "single",
            "concurrency": concurrency,
        },
    }
    path = work / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path


async def engine(recipe_path: Path, run_dir: Path, n: int) -> tuple[float, float]:
    """Wall seconds and process CPU seconds of the generate stage alone."""
    from distil.engine.runner import RunOptions, Runner
    from distil.recipe import load_recipe

    runner = Runner(load_recipe(recipe_path), run_dir,
                    RunOptions(use_cache=False, progress=False))
    try:
        cpu, started = time.process_time(), time.perf_counter()
        summary = await runner.generate()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await runner.aclose()
    assert summary.get("accepted") == n, f"the engine did not finish every request: {summary}"
    return elapsed, cpu


# -- the write-up's loop ------------------------------------------------------------------------
def sequential(url: str, texts: list[str], timeout: float) -> float:
    """Seconds per request of a plain synchronous loop."""
    from openai import OpenAI

    client = OpenAI(api_key=os.environ[KEY_ENV], base_url=url, timeout=timeout, max_retries=0)
    started = time.perf_counter()
    for text in texts:
        client.chat.completions.create(model="loopback-model", messages=messages_for(text))
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed / len(texts)


def engine_overhead(work: Path, n: int, concurrency: int) -> float:
    """The engine's own CPU per request, in ms, measured directly: the same Runner path with
    the built-in `scripted` model, which answers at once without any HTTP. A cross-check on
    the difference figure, which the SDK's own CPU (mostly httpcore's connection pool) makes
    noisy on a busy machine."""
    import yaml

    recipe = yaml.safe_load(write_recipe(work, "http://unused", documents(n), concurrency,
                                         60.0).read_text())
    recipe["teacher"]["model"] = {"scripted": {"echo": True}}
    path = work / "recipe-scripted.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    _, cpu = asyncio.run(engine(path, work / "run-scripted", n))
    return cpu / n * 1000


def one_round(url: str, work: Path, texts: list[str], concurrency: int, timeout: float,
              engine_first: bool, transport: str = "aiohttp") -> dict[str, float]:
    """The bare SDK and the engine over the same requests, in the order given."""
    out: dict[str, float] = {}

    def sdk() -> None:
        cpu = time.process_time()
        out["sdk_seconds"] = asyncio.run(bare_sdk(url, texts, concurrency, timeout, transport))
        out["sdk_cpu"] = time.process_time() - cpu

    def eng() -> None:
        recipe = write_recipe(work, url, texts, concurrency, timeout, transport)
        out["engine_seconds"], out["engine_cpu"] = asyncio.run(
            engine(recipe, work / f"run-{time.monotonic_ns()}", len(texts)))

    for phase in ((eng, sdk) if engine_first else (sdk, eng)):
        phase()
    n = len(texts)
    out["engine_over_sdk"] = out["sdk_seconds"] / out["engine_seconds"]
    out["engine_cpu_ms_per_request"] = (out["engine_cpu"] - out["sdk_cpu"]) / n * 1000
    return out


def measure(n: int, latency: float, concurrency: int, sequential_n: int, timeout: float,
            repeat: int, transport: str = "aiohttp") -> dict[str, Any]:
    import openai  # noqa: F401  (imported before timing: neither side pays for the import)

    os.environ.setdefault(KEY_ENV, "sk-bench-not-a-real-key")
    texts = documents(n)
    server, url = start_server(latency)
    try:
        with tempfile.TemporaryDirectory(prefix="distil-bench-") as tmp:
            work = Path(tmp)
            # warm-up: the server's first connections and the SDK's lazy imports
            asyncio.run(bare_sdk(url, documents(min(n, concurrency)), concurrency, timeout,
                                 transport))
            # rounds alternate which side goes first, so drift on a busy machine evens out
            rounds = [one_round(url, work, texts, concurrency, timeout,
                                engine_first=i % 2 == 1, transport=transport)
                      for i in range(repeat)]
            per_request = sequential(url, texts[:sequential_n], timeout)
            direct_ms = engine_overhead(work, n, concurrency)
    finally:
        server.terminate()
        server.wait(timeout=10)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    bound = concurrency / latency if latency > 0 else float("inf")
    engine_seconds, sdk_seconds = median("engine_seconds"), median("sdk_seconds")
    engine_rps, sdk_rps = n / engine_seconds, n / sdk_seconds
    sequential_seconds = per_request * n
    return {
        "n": n, "latency_s": latency, "concurrency": concurrency, "repeat": repeat,
        "transport": transport,
        "engine": {"seconds": engine_seconds, "req_per_s": engine_rps,
                   "fraction_of_bound": engine_rps / bound, "cpu_s": median("engine_cpu")},
        "bare_sdk": {"seconds": sdk_seconds, "req_per_s": sdk_rps,
                     "fraction_of_bound": sdk_rps / bound, "cpu_s": median("sdk_cpu")},
        "bound_req_per_s": bound,
        "engine_over_sdk": median("engine_over_sdk"),
        "sequential": {"sampled": sequential_n, "seconds_per_request": per_request,
                       "extrapolated_seconds": sequential_seconds},
        "speedup_over_sequential": sequential_seconds / engine_seconds,
        "engine_cpu_ms_per_request": median("engine_cpu_ms_per_request"),
        "engine_cpu_ms_per_request_direct": direct_ms,
        "rounds": rounds,
    }


def meets_targets(r: dict[str, Any]) -> bool:
    return (r["engine_over_sdk"] >= TARGET_RATIO
            and r["engine_cpu_ms_per_request"] < TARGET_CPU_MS)


def show(r: dict[str, Any]) -> str:
    e, s, q = r["engine"], r["bare_sdk"], r["sequential"]
    ok = "meets" if meets_targets(r) else "MISSES"
    rounds = "; ".join(f"{x['engine_over_sdk']:.3f} / {x['engine_cpu_ms_per_request']:+.2f} ms"
                       for x in r["rounds"])
    return "\n".join([
        f"N={r['n']} requests, latency L={r['latency_s']:g} s, concurrency C={r['concurrency']};"
        f" bound C/L = {r['bound_req_per_s']:.1f} req/s; median of {r['repeat']} rounds;"
        f" the engine and the bare SDK on {r['transport']}",
        f"engine    {e['req_per_s']:8.1f} req/s  ({e['seconds']:.2f} s)  "
        f"{e['fraction_of_bound']:.3f} of the bound",
        f"bare SDK  {s['req_per_s']:8.1f} req/s  ({s['seconds']:.2f} s)  "
        f"{s['fraction_of_bound']:.3f} of the bound",
        f"engine / bare SDK: {r['engine_over_sdk']:.3f}  (target >= {TARGET_RATIO})",
        f"sequential loop: {q['seconds_per_request'] * 1000:.1f} ms/request over "
        f"{q['sampled']} requests -> {q['extrapolated_seconds']:.0f} s for N; engine speed-up "
        f"x{r['speedup_over_sequential']:.1f}",
        f"engine CPU beyond the SDK: {r['engine_cpu_ms_per_request']:.3f} ms/request "
        f"(engine {e['cpu_s']:.2f} s, SDK {s['cpu_s']:.2f} s; target < {TARGET_CPU_MS} ms)",
        f"engine CPU measured directly (scripted model, no HTTP): "
        f"{r['engine_cpu_ms_per_request_direct']:.3f} ms/request",
        f"rounds (ratio / CPU difference): {rounds}",
        f"targets: {ok}",
    ])


def add_workload_arguments(parser: argparse.ArgumentParser) -> None:
    """N, L and C, as this benchmark and bench/peers.py take them."""
    parser.add_argument("-n", "--requests", type=int, default=1000, help="N (default 1000)")
    parser.add_argument("-l", "--latency", type=float, default=0.5,
                        help="server latency L in seconds (default 0.5)")
    parser.add_argument("-c", "--concurrency", type=int, default=64, help="C (default 64)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_workload_arguments(parser)
    parser.add_argument("--sequential", type=int, default=10,
                        help="requests in the sequential sample (default 10)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout (s)")
    parser.add_argument("-r", "--repeat", type=int, default=3,
                        help="rounds of SDK + engine, medians reported (default 3)")
    parser.add_argument("--transport", choices=("httpx", "aiohttp"), default="aiohttp",
                        help="HTTP transport of the engine's openai model and of the bare SDK "
                             "it is compared with (default aiohttp, the model's own default)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.sequential, args.repeat) < 1 \
            or args.latency < 0:
        parser.error("N, C, the sequential sample and the rounds must be positive, "
                     "L not negative")
    sys.path.insert(0, str(REPO))  # `tests.loopback` is found from the repository
    r = measure(args.requests, args.latency, args.concurrency,
                min(args.sequential, args.requests), args.timeout, args.repeat, args.transport)
    print(json.dumps(r, indent=2) if args.json else show(r))
    return 0 if meets_targets(r) else 1


if __name__ == "__main__":
    sys.exit(main())
