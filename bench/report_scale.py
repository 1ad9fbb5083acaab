"""How big report.html gets, and how soon its documents section shows, at 5,000 documents × 3
models (the figures in docs/evaluation.md).

A run store is filled with synthetic evaluation records (a two-sentence output of 20 to 40
words per document and model, judged by the real `char_count` constraint), the HTML report is
rendered from it by the real reporter, and headless chromium opens the page: the time from
navigation to the documents list's first render is read from the page itself (the viewer
records `performance.now()` in `data-first-render-ms`), median of three loads.

    python bench/report_scale.py [--docs 5000] [--models 3]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from distil.engine.evaluation import PLAN_META
from distil.engine.rundir import STORE
from distil.engine.store import RunStore
from distil.plugins import get_host
from distil.types import EvalRecord, Usage
from distil.validation_context import plugin_context

WORDS = "the a council park budget snow pass museum wing art spring city new local".split()


def fill(run_dir: Path, docs: int, models: int) -> None:
    host = get_host()
    constraint = host.get("constraint", "char_count").model_validate(
        {"unit": "words", "min": 20, "max": 30}, context=plugin_context(host=host))
    rng = random.Random(7)
    store = RunStore.create(run_dir / STORE)
    store.set_meta(PLAN_META, {"split": "test", "limit": None, "concurrency": 4,
                               "models": [[f"model-{m}", f"model-{m}"] for m in range(models)],
                               "metrics": ["pass_rate"]})
    store.db.execute("BEGIN")
    for m in range(models):
        for d in range(docs):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 40))) + "."
            store.add_eval_record(EvalRecord(
                model=f"model-{m}", doc_id=f"doc-{d:05d}", output=text,
                verdicts=(constraint.check(text),), latency=rng.uniform(0.2, 2.0),
                usage=Usage(180, 40), cost=0.0001, finish_reason="stop"), None)
    store.db.execute("COMMIT")
    store.close()


def first_render_ms(page: Path, chromium: str, profile: Path) -> float:
    out = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                          f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=300)
    found = re.search(r'data-first-render-ms="([\d.]+)"', out.stdout)
    if not found:
        raise SystemExit(f"the page did not render its documents list:\n{out.stderr[-2000:]}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--models", type=int, default=3)
    args = parser.parse_args()
    from distil_builtin.reporters.html import HtmlReport

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp)
        fill(run_dir, args.docs, args.models)
        started = time.perf_counter()
        page = HtmlReport().render({"run": {"recipe": "report-scale"}, "models": {}}, run_dir)
        rendered = time.perf_counter() - started
        size = page.stat().st_size
        print(f"{args.docs} documents x {args.models} models: report.html {size / 1e6:.2f} MB, "
              f"written in {rendered:.2f} s")
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            print("chromium not installed: no render time (apt-get install -y chromium)")
            return
        times = [first_render_ms(page, chromium, run_dir / f"profile{i}") for i in range(3)]
        print(f"first render of the documents list: median {statistics.median(times):.0f} ms "
              f"from navigation (loads: {', '.join(f'{t:.0f}' for t in times)} ms)")


if __name__ == "__main__":
    main()
