"""SFT against SFT followed by GRPO, on the quickstart task: single-shot pass rates and minutes.

    python bench/rl_student.py                                  # 32 train, 100 test documents
    python bench/rl_student.py --test 120 --grpo-steps 40       # other sizes
    python bench/rl_student.py --out runs/rl-bench --json       # keep the run, print JSON

The quickstart recipe (SmolLM2-135M as teacher, 20-30-word one-sentence summaries of the
bundled news corpus) with its corpus split widened to `--train` / `--validation` / `--test`
documents and its student set to `local` with `method: sft+grpo`. Steps, each a real `distil`
command in one run directory (so the bench can be stopped and run again: finished stages are
reused):

1. `distil run --stage generate --stage export --stage train`: the teacher's refine loop on the
   train and validation documents, the accepted answers exported, then the student trained:
   SFT on them, its adapter kept in `student/sft/`, then GRPO rewarded by the recipe's
   word-count constraint, carrying on from that adapter;
2. the SFT phase's adapter converted to a GGUF adapter (the trainer's own converter), so the
   SFT student runs in llama.cpp exactly as the final one does;
3. `distil eval` on the test documents: the base model (`teacher`, single shot), the SFT
   student, and the sft+grpo student (`student`), each once per document with the quickstart's
   serving parameters (temperature 0.7, at most 96 tokens).

Printed: each model's single-shot pass rate with its 95% Wilson interval, the teacher's pass
rate after the whole refine loop (on the train and validation documents: the loop never runs on
the test documents), the difference sft+grpo - sft with a 95% paired-bootstrap interval over the
test documents, and the minutes of SFT and of GRPO on this machine. The issue's target: the
sft+grpo student at least 10 points above SFT, and above the teacher after the loop.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SERVE = {"temperature": 0.7, "max_tokens": 96, "seed": 7}
TARGET_POINTS = 0.10


def wilson(passed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = passed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def paired_bootstrap(a: list[bool], b: list[bool], rounds: int = 10_000,
                     seed: int = 0) -> tuple[float, float]:
    """95% interval of mean(b) - mean(a) over documents resampled with replacement."""
    rng = random.Random(seed)
    n = len(a)
    diffs = sorted(sum(b[i] - a[i] for i in (rng.randrange(n) for _ in range(n))) / n
                   for _ in range(rounds))
    return (diffs[int(0.025 * rounds)], diffs[int(0.975 * rounds) - 1])


def write_recipe(out: Path, args: argparse.Namespace) -> Path:
    recipe = yaml.safe_load((REPO / "recipes" / "quickstart.yaml").read_text(encoding="utf-8"))
    recipe["name"] = "rl-student-bench"
    recipe["corpus"]["split"] = {"train": args.train, "validation": args.validation,
                                 "test": args.test}
    student = recipe["student"]["local"]
    student.update(method="sft+grpo", grpo_steps=args.grpo_steps, group_size=args.group_size,
                   prompts_per_step=args.prompts_per_step, max_new_tokens=args.max_new_tokens,
                   grpo_learning_rate=args.grpo_learning_rate, beta=args.beta,
                   temperature=args.temperature, reward=args.reward, threads=args.threads)
    recipe["evaluate"] = {"split": "test", "models": ["teacher", "student"],
                          "metrics": ["pass_rate", "length_stats"]}
    recipe["report"] = ["json", "html"]
    path = out / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def distil(*argv: str) -> float:
    """Run `distil ARGV`; return its wall seconds (exit 1, requests that failed, is allowed)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "distil", *argv], cwd=REPO)
    if done.returncode not in (0, 1):
        sys.exit(f"distil {' '.join(argv[:2])} failed with exit status {done.returncode}")
    return time.perf_counter() - started


def sft_gguf(run: Path) -> Path:
    """The SFT phase's adapter as a GGUF adapter over the shipped base."""
    sys.path.insert(0, str(REPO / "plugins"))
    from distil_builtin.models.local import shipped_model_path
    from distil_builtin.trainers.gguf_adapter import write_gguf_adapter

    output = run / "sft_adapter.gguf"
    if not output.is_file():
        write_gguf_adapter(run / "student" / "sft" / "adapter", shipped_model_path("smollm2"),
                           output)
    return output


def outcomes(run: Path, label: str) -> dict[str, bool]:
    sys.path.insert(0, str(REPO))
    from tests import storeview

    return {r.doc_id: r.passed for r in storeview.eval_records(run, label)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=int, default=32)
    parser.add_argument("--validation", type=int, default=4)
    parser.add_argument("--test", type=int, default=100)
    parser.add_argument("--grpo-steps", type=int, default=30)
    parser.add_argument("--group-size", type=int, default=4)
    parser.add_argument("--prompts-per-step", type=int, default=1)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--grpo-learning-rate", type=float, default=1e-4)
    parser.add_argument("--beta", type=float, default=0.04)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--reward", default="pass+linear")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--with-base", action="store_true",
                        help="also evaluate the base model single-shot (100 more answers)")
    parser.add_argument("--out", type=Path, default=None, help="run directory (kept)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    out = args.out or Path("runs") / "rl-student-bench"
    out.mkdir(parents=True, exist_ok=True)
    recipe = write_recipe(out, args)
    run = out / "run"
    seconds = {"generate+export+train": distil("run", str(recipe), "--run-dir", str(run),
                                               "--stage", "generate", "--stage", "export",
                                               "--stage", "train")}
    sft_model = {"local": {"model": "smollm2", "lora_path": str(sft_gguf(run).resolve()),
                           "params": SERVE}}
    base = ["-m", "teacher"] if args.with_base else []
    seconds["evaluate"] = distil("eval", str(recipe), "--run-dir", str(run), *base,
                                 "-m", json.dumps(sft_model), "-m", "student")
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    log = json.loads((run / "student" / "train_log.json").read_text(encoding="utf-8"))
    labels = list(results["models"])
    sft_label = next(label for label in labels if label not in ("teacher", "student"))
    per_doc = {label: outcomes(run, label) for label in labels}
    docs = sorted(per_doc["student"])
    rows = {}
    shown = [("base (single shot)", "teacher")] if args.with_base else []
    for name, label in (*shown, ("sft", sft_label), ("sft+grpo", "student")):
        passed = [per_doc[label][d] for d in docs]
        rows[name] = {"n": len(passed), "passed": sum(passed), "rate": sum(passed) / len(passed),
                      "ci95": wilson(sum(passed), len(passed))}
    gen = results["generate"]
    accepted = gen["accepted"]
    rows["teacher after the refine loop (train+validation docs)"] = {
        "n": gen["documents"], "passed": accepted, "rate": gen["pass_rate"],
        "ci95": wilson(accepted, gen["documents"])}
    sft_passed = [per_doc[sft_label][d] for d in docs]
    rl_passed = [per_doc["student"][d] for d in docs]
    gain = sum(rl_passed) / len(docs) - sum(sft_passed) / len(docs)
    sft_seconds = log.get("train_seconds", 0.0)
    figures = {
        "sizes": {"train": args.train, "validation": args.validation, "test": len(docs),
                  "sft_examples": log.get("examples"), "grpo_steps": log.get("grpo_steps"),
                  "group_size": args.group_size, "prompts_per_step": args.prompts_per_step},
        "pass_rates": rows,
        "gain_points": gain,
        "gain_ci95": paired_bootstrap(sft_passed, rl_passed),
        "training_minutes": {"sft": round(sft_seconds / 60, 1),
                             "grpo": round(log.get("grpo_seconds", 0.0) / 60, 1)},
        "wall_minutes": {k: round(v / 60, 1) for k, v in seconds.items()},
        "first_reward": log.get("first_reward"), "last_reward": log.get("last_reward"),
        "target_met": bool(gain >= TARGET_POINTS and rows["sft+grpo"]["rate"]
                           > rows["teacher after the refine loop (train+validation docs)"]["rate"]),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"\n{'model':<56} {'n':>4} {'passed':>7} {'rate':>7}  95% interval")
        for name, r in rows.items():
            lo, hi = r["ci95"]
            print(f"{name:<56} {r['n']:>4} {r['passed']:>7} {r['rate']:>7.1%}  "
                  f"{lo:.1%}-{hi:.1%}")
        lo, hi = figures["gain_ci95"]
        print(f"\nsft+grpo - sft: {gain * 100:+.1f} points (95% paired bootstrap "
              f"{lo * 100:+.1f} to {hi * 100:+.1f})")
        t = figures["training_minutes"]
        print(f"training on this machine: SFT {t['sft']} min, GRPO {t['grpo']} min; "
              f"target (+10 points and above the refined teacher) "
              f"{'met' if figures['target_met'] else 'not met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
