"""The same workload through distil, the bare openai SDK and the framework peers installed here.

    python bench/peers.py                      # N=1000, C=64, L=0.5 s, 3 runs each
    python bench/peers.py -n 300 -l 0.1 -r 1   # a quick look

N single-shot chat requests, concurrency C, against the loopback OpenAI-compatible server
(`python -m tests.loopback`, started as in bench/throughput.py, its own process) with latency
L. Each contender is a fresh process and its whole wall time counts, start-up and imports
included, as a user would see it; the figures are medians over R runs (`--repeat`), the
contenders taking turns within each run so drift on a busy machine falls on all of them.

Contenders: `distil` (`distil run RECIPE --stage generate`, the `openai` model on each
transport), `openai SDK` (`AsyncOpenAI` and a semaphore, on httpx and on aiohttp), `litellm`
(`acompletion` and a semaphore). promptfoo, inspect_ai and distilabel are run only when
installed and are otherwise listed as skipped: this script installs nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import (  # noqa: E402
    KEY_ENV, REPO, add_workload_arguments, documents, messages_for, start_server, write_recipe)

# A client script gets: base URL, N, C; it sends N requests, C at a time, and checks answers.
CLIENT_HEAD = '''
import asyncio, sys
from throughput import KEY_ENV, documents, messages_for
url, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
texts = documents(n)
'''
SDK = CLIENT_HEAD + '''
import os, openai
async def main():
    http = openai.{client}()
    client = openai.AsyncOpenAI(api_key=os.environ[KEY_ENV], base_url=url, max_retries=0,
                                http_client=http)
    sem = asyncio.Semaphore(c)
    async def one(t):
        async with sem:
            r = await client.chat.completions.create(model="loopback-model",
                                                     messages=messages_for(t))
            return r.choices[0].message.content
    assert await asyncio.gather(*map(one, texts)) == texts
    await client.close()
asyncio.run(main())
'''
LITELLM = CLIENT_HEAD + '''
import os, litellm
async def main():
    sem = asyncio.Semaphore(c)
    async def one(t):
        async with sem:
            r = await litellm.acompletion(model="openai/loopback-model", api_base=url,
                                          api_key=os.environ[KEY_ENV],
                                          messages=messages_for(t), num_retries=0)
            return r.choices[0].message.content
    assert await asyncio.gather(*map(one, texts)) == texts
asyncio.run(main())
'''


def python_client(source: str) -> Callable[[Path, str, int, int], list[str]]:
    def command(work: Path, url: str, n: int, c: int) -> list[str]:
        script = work / f"client-{abs(hash(source)):x}.py"
        script.write_text(textwrap.dedent(source), encoding="utf-8")
        return [sys.executable, str(script), url, str(n), str(c)]
    return command


def distil_client(transport: str) -> Callable[[Path, str, int, int], list[str]]:
    def command(work: Path, url: str, n: int, c: int) -> list[str]:
        recipe = write_recipe(work, url, documents(n), c, 60.0, transport)
        run_dir = work / f"run-{transport}-{time.monotonic_ns()}"
        return [sys.executable, "-m", "distil", "run", str(recipe), "--stage", "generate",
                "--run-dir", str(run_dir), "--no-cache", "--no-progress"]
    return command


def promptfoo_client(executable: str) -> Callable[[Path, str, int, int], list[str]]:
    """`promptfoo eval` over the same N chat prompts, C at a time, each answer checked by an
    `equals` assertion (promptfoo exits non-zero when one fails); its cache, telemetry and
    result store are off, so every request reaches the server and nothing else is timed."""
    def command(work: Path, url: str, n: int, c: int) -> list[str]:
        chat = json.dumps(messages_for("{{text}}"))
        tests = [{"vars": {"text": t}} for t in documents(n)]
        config = {
            "prompts": [{"id": "chat", "raw": chat}],
            "providers": [{"id": "openai:chat:loopback-model",
                           "config": {"apiBaseUrl": url, "apiKeyEnvar": KEY_ENV}}],
            "defaultTest": {"assert": [{"type": "equals", "value": "{{text}}"}]},
            "tests": tests,
        }
        path = work / f"promptfoo-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        return [executable, "eval", "-c", str(path), "--max-concurrency", str(c),
                "--no-cache", "--no-write", "--no-table", "--no-progress-bar"]
    return command


PROMPTFOO_ENV = {"PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1",
                 "PROMPTFOO_DISABLE_SHARING": "1"}


def contenders() -> tuple[dict[str, Callable[[Path, str, int, int], list[str]]], list[str]]:
    """What can run here, and a note for each peer that cannot."""
    found = {
        "distil (httpx)": distil_client("httpx"),
        "distil (aiohttp)": distil_client("aiohttp"),
        "openai SDK (httpx)": python_client(SDK.replace("{client}", "DefaultAsyncHttpxClient")),
        "openai SDK (aiohttp)": python_client(SDK.replace("{client}", "DefaultAioHttpClient")),
    }
    skipped = []
    if importlib.util.find_spec("litellm"):
        found["litellm"] = python_client(LITELLM)
    else:
        skipped.append("litellm: not installed")
    promptfoo = os.environ.get("PROMPTFOO") or shutil.which("promptfoo")
    if promptfoo:
        found["promptfoo"] = promptfoo_client(promptfoo)
    else:
        skipped.append("promptfoo: not installed (no `promptfoo` on PATH, nor $PROMPTFOO)")
    for module in ("inspect_ai", "distilabel"):
        if importlib.util.find_spec(module) is None:
            skipped.append(f"{module}: not installed")
    return found, skipped


def run_all(n: int, latency: float, concurrency: int, repeat: int) -> dict[str, list[float]]:
    found, skipped = contenders()
    for note in skipped:
        print(f"skipped: {note}")
    env = {**os.environ, **PROMPTFOO_ENV, KEY_ENV: os.environ.get(KEY_ENV, "sk-bench-not-a-real-key"),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent), str(REPO)])}
    times: dict[str, list[float]] = {name: [] for name in found}
    server, url = start_server(latency)
    try:
        with tempfile.TemporaryDirectory(prefix="distil-peers-") as tmp:
            work = Path(tmp)
            for round_no in range(repeat):
                names = list(found)
                names = names[round_no % len(names):] + names[:round_no % len(names)]
                for name in names:
                    cmd = found[name](work, url, n, concurrency)
                    started = time.perf_counter()
                    done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
                    elapsed = time.perf_counter() - started
                    if done.returncode != 0:
                        raise SystemExit(f"{name} failed (exit {done.returncode}):\n"
                                         f"{done.stderr[-2000:]}")
                    times[name].append(elapsed)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return times


def table(times: dict[str, list[float]], n: int, latency: float, concurrency: int,
          repeat: int) -> str:
    base = statistics.median(times["openai SDK (httpx)"])
    lines = [f"N={n}, C={concurrency}, L={latency:g} s, median of {repeat} run(s); "
             f"load average {os.getloadavg()[0]:.2f}",
             "", "| contender | wall s (median) | runs | bare SDK (httpx) / it |",
             "|---|---|---|---|"]
    for name, values in sorted(times.items(), key=lambda kv: statistics.median(kv[1])):
        med = statistics.median(values)
        runs = ", ".join(f"{v:.2f}" for v in values)
        lines.append(f"| {name} | {med:.2f} | {runs} | {base / med:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_workload_arguments(parser)
    parser.add_argument("-r", "--repeat", type=int, default=3, help="runs (default 3)")
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.repeat) < 1 or args.latency < 0:
        parser.error("N, C and the runs must be positive, L not negative")
    sys.path.insert(0, str(REPO))  # `tests.loopback` is found from the repository
    times = run_all(args.requests, args.latency, args.concurrency, args.repeat)
    print(table(times, args.requests, args.latency, args.concurrency, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
