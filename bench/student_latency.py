"""Seconds per answer of a trained student in llama.cpp: the base, the base + `adapter.gguf`,
and the merged `student.gguf`, on the same prompts at the same answer length.

    python bench/student_latency.py runs/quickstart/20261202-101500
    python bench/student_latency.py RUN_DIR --prompts 8 --repeats 2 --tokens 40

The evaluate stage's own latency figures compare answers of different lengths (a student that
learned to answer shortly writes fewer tokens) taken at different moments of a shared machine.
Here every variant writes exactly `--tokens` tokens (end of sequence is forbidden, greedy
decoding), and the variants take turns prompt by prompt, so a change in the machine's load
falls on all three alike. Printed: seconds per answer and the ratio to the base.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))


def base_file(run: Path) -> Path:
    """The base GGUF the student was trained from: a path, or a model shipped in a package."""
    from distil_builtin.models.local import SHIPPED_MODELS, shipped_model_path

    base = json.loads((run / "student" / "plan.json").read_text(encoding="utf-8"))["base_model"]
    return shipped_model_path(base) if base in SHIPPED_MODELS else Path(base)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a finished run with a local student")
    parser.add_argument("--prompts", type=int, default=8, help="prompts of train.jsonl")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=40, help="tokens every answer writes")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    from llama_cpp import Llama

    student = args.run / "student"
    base = base_file(args.run)
    variants = {"base": {"model_path": str(base)},
                "base + adapter.gguf": {"model_path": str(base),
                                        "lora_path": str(student / "adapter.gguf")},
                "merged student.gguf": {"model_path": str(student / "student.gguf")}}
    llms = {name: Llama(n_ctx=2048, n_threads=args.threads, verbose=False, seed=1, **options)
            for name, options in variants.items()}
    lines = (args.run / "train.jsonl").read_text(encoding="utf-8").splitlines()
    prompts = [json.loads(line)["messages"][:-1] for line in lines[: args.prompts]]
    seconds = dict.fromkeys(llms, 0.0)
    answers = 0
    for _ in range(args.repeats):
        for messages in prompts:
            for name, llm in llms.items():  # in turns: the machine's drift hits all alike
                stop_tokens = {llm.token_eos(), *llm.tokenize(b"<|im_end|>", special=True)}
                started = time.perf_counter()
                out = llm.create_chat_completion(
                    messages, max_tokens=args.tokens, temperature=0.0,
                    logit_bias={t: -100.0 for t in stop_tokens})
                seconds[name] += time.perf_counter() - started
                assert out["usage"]["completion_tokens"] == args.tokens, out["usage"]
            answers += 1
    print(f"{answers} answers of {args.tokens} tokens each, {args.threads} threads, "
          f"base {base.name}")
    for name, total in seconds.items():
        print(f"{name:20s} {total / answers:.3f} s per answer   {total / seconds['base']:.2f} "
              f"of the base")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
