"""The write-up's comparison, on the bundled corpus: base model, teacher after refine, student.

    python bench/distillation.py                                  # 120+12 refined, 100 held out
    python bench/distillation.py --train 32 --validation 4 --test 12   # the quickstart's sizes

It runs the whole chain of recipes/news-summary-100.yaml (the quickstart's task: one-sentence
summaries of 20–30 words, SmolLM2-135M-Instruct as teacher with word-count feedback, a LoRA
student served by llama.cpp), with the split sizes given, then asks the teacher to run its
whole refine loop on the held-out articles too, so that the three contenders answer the same
documents:

- `base, single shot`: SmolLM2 answering each test article once (the recipe's `teacher` row);
- `teacher after refine`: SmolLM2 with up to three requests a conversation and two restarts;
  its answer for a document is the accepted one, else the closest it came;
- `student, single shot`: the LoRA student, once per article.

Printed: the write-up's table (length mean, median, min, max and spread in words, pass rate
with its 95% Wilson interval, seconds per answer), then what one accepted output costs each
contender: requests, tokens and seconds, the teacher's whole loop against one shot. Both runs
stay in `--work` (default `runs/bench-distillation/<time>`); given the `--work` of an earlier
call with the same sizes, it carries on those runs (`distil run` continues a run directory of
the same recipe and asks nothing twice). It takes tens of minutes; a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
RECIPE = REPO / "recipes" / "news-summary-100.yaml"
CORPUS = REPO / "plugins" / "distil_builtin" / "data" / "sample_news.jsonl"


def write_recipes(work: Path, train: int, validation: int, test: int) -> Path:
    """The chain's recipe: news-summary-100 with these split sizes."""
    recipe = yaml.safe_load(RECIPE.read_text(encoding="utf-8"))
    recipe["name"] = "bench-distillation"
    recipe["corpus"]["split"] = {"train": train, "validation": validation, "test": test}
    path = work / "chain.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_refine_recipe(work: Path, test_ids: list[str]) -> Path:
    """The teacher's refine loop on exactly the held-out articles, from a JSONL of them."""
    wanted = set(test_ids)
    docs = work / "test_docs.jsonl"
    with docs.open("w", encoding="utf-8") as out:
        for line in CORPUS.read_text(encoding="utf-8").splitlines():
            article = json.loads(line)
            if article["id"] in wanted:
                out.write(json.dumps({"id": article["id"], "text": article["body"]},
                                     ensure_ascii=False) + "\n")
    recipe = yaml.safe_load(RECIPE.read_text(encoding="utf-8"))
    recipe["name"] = "bench-distillation-teacher"
    recipe["corpus"] = {"jsonl": {"path": str(docs)}}
    for section in ("student", "evaluate"):
        recipe.pop(section, None)
    recipe["report"] = ["json"]
    path = work / "teacher.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def run(recipe: Path, run_dir: Path) -> None:
    """`distil run`, whose exit status 1 (some documents not accepted) is a result here."""
    # no response cache: every figure, latency above all, is this run's own
    cmd = [sys.executable, "-m", "distil", "run", str(recipe), "--run-dir", str(run_dir),
           "--no-cache"]
    print("$", " ".join(cmd), flush=True)
    done = subprocess.run(cmd)
    if done.returncode not in (0, 1):
        raise SystemExit(f"distil run failed with exit status {done.returncode}")


def words(verdicts) -> float | None:
    """The word count the recipe's constraint measured."""
    for verdict in verdicts:
        if "count" in verdict.measured:
            return float(verdict.measured["count"])
    return None


def single_shot(store, label: str) -> dict:
    records = store.eval_records(label)
    return {"lengths": [w for r in records if (w := words(r.verdicts)) is not None],
            "n": len(records), "passed": sum(r.passed for r in records),
            "requests": len(records), "seconds": sum(r.latency for r in records),
            "tokens": sum(r.usage.prompt_tokens + r.usage.completion_tokens for r in records)}


def refine_loop(store) -> dict:
    rows = store.attempt_rows("generate")
    last: dict[str, object] = {}
    for attempt_id, _stage, _model, _key, attempt in rows:
        last[attempt.doc_id] = attempt
    outcomes = store.outcomes()
    lengths, passed = [], 0
    for doc_id, outcome in outcomes.items():
        answer = store.attempt(outcome["attempt_id"]) if outcome["attempt_id"] else last[doc_id]
        passed += outcome["status"] == "accepted"
        if (w := words(answer.verdicts)) is not None:
            lengths.append(w)
    answered = [a for *_, a in rows if a.completion is not None]
    return {"lengths": lengths, "n": len(outcomes), "passed": passed, "requests": len(rows),
            "seconds": sum(a.completion.latency for a in answered),
            "tokens": sum(a.completion.usage.prompt_tokens + a.completion.usage.completion_tokens
                          for a in answered)}


def table(rows: dict[str, dict]) -> str:
    from distil_builtin.metrics.intervals import wilson

    out = ["| contender | n | mean | median | min | max | spread (sd) | pass rate (95% CI) "
           "| s per request |", "|---|---|---|---|---|---|---|---|---|"]
    for name, f in rows.items():
        xs = f["lengths"] or [float("nan")]
        lo, hi = wilson(f["passed"], f["n"])
        rate = f["passed"] / f["n"] if f["n"] else 0.0
        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
        out.append(f"| {name} | {f['n']} | {statistics.mean(xs):.1f} | "
                   f"{statistics.median(xs):.1f} | {min(xs):.0f} | {max(xs):.0f} | {sd:.1f} | "
                   f"{rate:.0%} ({lo:.0%}–{hi:.0%}) | {f['seconds'] / f['requests']:.2f} |")
    out += ["", "| per accepted output | requests | tokens | seconds |", "|---|---|---|---|"]
    for name, f in rows.items():
        if f["passed"]:
            k = f["passed"]
            out.append(f"| {name} | {f['requests'] / k:.2f} | {f['tokens'] / k:.0f} | "
                       f"{f['seconds'] / k:.2f} |")
        else:
            out.append(f"| {name} | none accepted | | |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=120, help="articles refined for training")
    parser.add_argument("--validation", type=int, default=12, help="articles for validation")
    parser.add_argument("--test", type=int, default=100, help="held-out articles (default 100)")
    parser.add_argument("--work", type=Path,
                        help="folder for both runs; an earlier call's carries on its runs")
    args = parser.parse_args(argv)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    work = args.work or REPO / "runs" / "bench-distillation" / stamp
    work.mkdir(parents=True, exist_ok=True)

    from distil.engine.store import RunStore

    started = dt.datetime.now()
    chain_dir, teacher_dir = work / "chain", work / "teacher"
    run(write_recipes(work, args.train, args.validation, args.test), chain_dir)
    chain = RunStore.attach(chain_dir / "store.sqlite")
    test_ids = sorted({r.doc_id for r in chain.eval_records("teacher")})
    run(write_refine_recipe(work, test_ids), teacher_dir)
    teacher = RunStore.attach(teacher_dir / "store.sqlite")
    rows = {"base, single shot": single_shot(chain, "teacher"),
            "teacher after refine": refine_loop(teacher),
            "student, single shot": single_shot(chain, "student")}
    minutes = (dt.datetime.now() - started).total_seconds() / 60
    print(f"\n{args.train}+{args.validation} articles refined for training, {len(test_ids)} held "
          f"out; lengths in words (20–30 pass); {minutes:.1f} min in all; runs in {work}\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
