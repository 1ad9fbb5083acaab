"""`execution: ray` against `execution: online` on the same refine work, and the Ray driver's
memory as the corpus grows.

    python bench/ray_scale.py                       # N=2000, L=0.5 s, memory at 2k and 100k
    python bench/ray_scale.py -n 500 --memory-n 20000 --json
    python bench/ray_scale.py --part memory          # only the memory part

One run, two parts:

1. **Throughput.** The engine tests' recipe (`tests/engine/harness.py`): refine with three
   rounds, a quarter of documents passing at each round and a quarter never, against the
   loopback server (its own process) at latency L. The generate stage runs online (C documents
   at once) and then on Ray (a local cluster of a head and one worker node started here, the
   HTTP processor with `batch_size` B and `concurrency` R replicas, each of which Ray Data
   runs four batches at once in: 4 x B x R requests in flight, 64 by default, as C are
   online). Each side is one `distil run --stage generate` process timed whole, Ray's
   connection included; printed: requests a second each and their ratio (target: Ray at
   least 0.5 of online on this 2-core machine, where Ray's own processes take CPU from the
   client and the server), and whether both stored the same requests.
2. **Driver memory.** The same stage on Ray over a corpus of M1 and of M2 documents whose
   every first answer passes (one request a document), the server answering at once; the
   driver's peak resident memory (`ru_maxrss` of that process alone: Ray's own processes are
   separate). Both runs keep `--window` documents open (`open_documents`, 2,000 by default:
   the smaller corpus fills it), so the driver works on as many documents at once in both
   and what differs is only the size of the corpus it streams them from; a window larger
   than the small corpus would measure the window, not the corpus.
   Printed: both peaks and their ratio (target: within 1.2).

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "bench"))
import throughput as throughput_bench  # noqa: E402
from tests import storeview  # noqa: E402
from tests.engine.harness import env, write_recipe  # noqa: E402

TARGET_RATIO = 0.5
TARGET_MEMORY = 1.2
SERVER = textwrap.dedent("""\
    import sys, threading
    from tests.engine.harness import summary_reply
    from tests.loopback import LoopbackServer, Reply
    passing = sys.argv[2] == "pass"
    reply = (lambda payload: Reply("summary in three")) if passing else summary_reply
    with LoopbackServer(reply, latency=float(sys.argv[1])) as server:
        print(server.url, flush=True)
        threading.Event().wait()
""")


def start_server(latency: float, mode: str) -> tuple[subprocess.Popen[str], str]:
    """The loopback server answering every request (`pass`) or summaries the refine loop
    must work on (`refine`), started as bench/throughput.py starts its own."""
    return throughput_bench.start_server(latency, ["-c", SERVER, str(latency), mode])


def recipe(directory: Path, url: str, docs: int, *, ray: dict[str, Any] | None,
           concurrency: int) -> Path:
    path = write_recipe(directory, url, docs=docs, concurrency=concurrency, evaluate=False,
                        model={"retries": 6, "max_concurrency": concurrency})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if ray is not None:
        data["teacher"].update(execution="ray", ray=ray)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_generate(path: Path, run_dir: Path) -> dict[str, float]:
    """`distil run --stage generate` in its own process: wall seconds, peak RSS in MB."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "distil", "run", str(path), "--stage",
                             "generate", "--run-dir", str(run_dir), "--no-cache",
                             "--no-progress"], cwd=path.parent, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{path}: distil exited {code}:\n{stderr[-3000:]}")
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024,
            "requests": storeview.attempt_count(run_dir)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="documents for throughput")
    parser.add_argument("-l", "--latency", type=float, default=0.5)
    parser.add_argument("-c", "--concurrency", type=int, default=64, help="online documents")
    parser.add_argument("-b", "--batch-size", type=int, default=8)
    parser.add_argument("-R", "--replicas", type=int, default=2, help="HTTP processor replicas")
    parser.add_argument("--memory-small", type=int, default=2000)
    parser.add_argument("--memory-n", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=2000,
                        help="open_documents in the memory part (at most --memory-small)")
    parser.add_argument("--part", choices=("all", "throughput", "memory"), default="all")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.window > args.memory_small:
        parser.error("--window must be at most --memory-small: the small corpus must fill it")

    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, connect=False,
                      head_node_args={"num_cpus": 2, "include_dashboard": False})
    cluster.add_node(num_cpus=2)
    cluster.wait_for_nodes()
    ray_options = {"address": cluster.address, "batch_size": args.batch_size,
                   "concurrency": args.replicas}
    figures: dict[str, Any] = {"n": args.n, "latency": args.latency,
                               "concurrency": args.concurrency, "batch_size": args.batch_size,
                               "replicas": args.replicas, "load_average": os.getloadavg()}
    meets = True
    lines: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="distil-ray-bench-") as tmp:
            root = Path(tmp)
            if args.part in ("all", "throughput"):
                throughput(root, args, ray_options, figures)
                lines += report_throughput(figures, args)
                meets &= figures["ratio"] >= TARGET_RATIO and figures["same_requests"]
                if not args.json:
                    print("\n".join(lines), flush=True)
            if args.part in ("all", "memory"):
                memory(root, args, ray_options, figures)
                more = report_memory(figures, args)
                meets &= figures["memory_ratio"] <= TARGET_MEMORY
                if not args.json:
                    print("\n".join(more), flush=True)
    finally:
        cluster.shutdown()
    figures["meets"] = meets
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"targets: {'meets' if meets else 'MISSES'} (load average at the start: "
              f"{' '.join(f'{x:.1f}' for x in figures['load_average'])})")
    return 0 if meets else 1


def throughput(root: Path, args: argparse.Namespace, ray_options: dict[str, Any],
               figures: dict[str, Any]) -> None:
    server, url = start_server(args.latency, "refine")
    keys = {}
    try:
        for side, options in (("online", None), ("ray", ray_options)):
            here = root / side
            here.mkdir()
            path = recipe(here, url, args.n, ray=options, concurrency=args.concurrency)
            figures[side] = run_generate(path, here / "run")
            figures[side]["req_per_s"] = figures[side]["requests"] / figures[side]["wall"]
            keys[side] = sorted(a.request_key for a in storeview.attempts(here / "run"))
    finally:
        server.terminate()
    figures["same_requests"] = keys["online"] == keys["ray"]
    figures["ratio"] = figures["ray"]["req_per_s"] / figures["online"]["req_per_s"]


def memory(root: Path, args: argparse.Namespace, ray_options: dict[str, Any],
           figures: dict[str, Any]) -> None:
    server, url = start_server(0.0, "pass")
    try:
        for n in (args.memory_small, args.memory_n):
            here = root / f"memory-{n}"
            here.mkdir()
            # the same window at both sizes (see the module's docstring)
            path = recipe(here, url, n, ray={**ray_options, "batch_size": 64,
                                             "open_documents": args.window},
                          concurrency=args.concurrency)
            figures[f"memory_{n}"] = run_generate(path, here / "run")
    finally:
        server.terminate()
    figures["memory_ratio"] = (figures[f"memory_{args.memory_n}"]["rss_mb"]
                               / figures[f"memory_{args.memory_small}"]["rss_mb"])


def report_throughput(f: dict[str, Any], args: argparse.Namespace) -> list[str]:
    on, ray = f["online"], f["ray"]
    return [
        f"N={args.n} documents, refine 3 rounds, loopback latency L={args.latency} s; online "
        f"C={args.concurrency}; Ray: HTTP processor, batch_size {args.batch_size} x "
        f"{args.replicas} replicas (x4 batches each), a head and one worker node here",
        f"online  {on['requests']} requests in {on['wall']:.1f} s: {on['req_per_s']:.1f} req/s",
        f"ray     {ray['requests']} requests in {ray['wall']:.1f} s: "
        f"{ray['req_per_s']:.1f} req/s",
        f"ray / online: {f['ratio']:.2f} (target >= {TARGET_RATIO}); same requests stored: "
        f"{f['same_requests']}",
    ]


def report_memory(f: dict[str, Any], args: argparse.Namespace) -> list[str]:
    small, large = (f[f"memory_{n}"] for n in (args.memory_small, args.memory_n))
    return [
        f"driver peak memory on Ray (every first answer passes): {args.memory_small} docs "
        f"{small['rss_mb']:.0f} MB ({small['wall']:.0f} s), {args.memory_n} docs "
        f"{large['rss_mb']:.0f} MB ({large['wall']:.0f} s): ratio {f['memory_ratio']:.2f} "
        f"(target <= {TARGET_MEMORY})",
    ]


if __name__ == "__main__":
    sys.exit(main())
