"""The `local` trainer's methods: what happens between loading the LoRA model and exporting it.

- `sft`: the supervised loop (`lora_loop.run_loop`) on the teacher's accepted answers;
- `grpo`: GRPO (`grpo_loop.run_grpo`) from the base, rewarded by the recipe's constraints;
- `sft+grpo`: the supervised loop, its adapter saved in `<run>/student/sft/` (so a resumed
  run does not train it again), then GRPO carrying on from that adapter.

Whatever the method, the same peft model comes out and the trainer's one export path (adapter,
GGUF adapter, merged model) writes it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from distil.kinds.trainer import PromptTask
from distil_builtin.trainers.chat_examples import EncodedExample
from distil_builtin.trainers.grpo_loop import GRPOResult, GRPOSettings, read_steps, run_grpo
from distil_builtin.trainers.lora_loop import LoopResult, LoopSettings, StepRecord, run_loop
from distil_builtin.transformers_runtime import require

SFT_DIR = "sft"      # under student/: the SFT phase of sft+grpo
GRPO_DIR = "grpo"    # under student/: GRPO's logs and checkpoints
SFT_LOG = "sft_log.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


def prompts_digest(prompts: Sequence[PromptTask]) -> str:
    """What GRPO's outcome depends on beyond the options: each prompt and its constraints.

    A constraint is named by its class, not its `plugin_name`: the registry sets that only
    once the class is registered, so it would make one constraint digest differently in two
    processes (and a resumed run start again from step 0)."""
    digest = hashlib.sha256()
    for task in prompts:
        constraints = [[f"{type(c).__module__}.{type(c).__qualname__}", c.model_dump(mode="json")]
                       for c in task.constraints]
        digest.update(json.dumps([task.doc.id, [m.to_dict() for m in task.messages],
                                  constraints], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def with_prompts(fingerprint: str, prompts: Sequence[PromptTask]) -> str:
    return hashlib.sha256((fingerprint + prompts_digest(prompts)).encode()).hexdigest()


def fit(method: str, model: Any, tokenizer: Any, train: Sequence[EncodedExample],
        validation: Sequence[EncodedExample], sft: LoopSettings, grpo: GRPOSettings,
        prompts: Sequence[PromptTask], student: Path, fingerprints: tuple[str, str],
        stop: threading.Event, on_step: Callable[[StepRecord], None]
        ) -> tuple[LoopResult, GRPOResult | None]:
    """Train `model` (a peft model) by `method`; `fingerprints` are the SFT phase's and the
    whole training's (what a checkpoint must match to be carried on)."""
    sft_fingerprint, fingerprint = fingerprints
    if method == "sft":
        return run_loop(model, train, validation, sft, on_step=on_step), None
    result = LoopResult()
    if method == "sft+grpo":
        result = sft_phase(model, train, validation, sft, student / SFT_DIR, sft_fingerprint,
                           on_step)
    return result, run_grpo(model, tokenizer, prompts, grpo, student / GRPO_DIR, fingerprint,
                            stop)


def sft_phase(model: Any, train: Sequence[EncodedExample], validation: Sequence[EncodedExample],
              settings: LoopSettings, folder: Path, fingerprint: str,
              on_step: Callable[[StepRecord], None]) -> LoopResult:
    """The SFT of sft+grpo, or its adapter loaded back when this very SFT was finished before."""
    log_file, adapter = folder / SFT_LOG, folder / "adapter"
    try:
        log = json.loads(log_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log = {}
    if log.get("fingerprint") == fingerprint and (adapter / ADAPTER_WEIGHTS).is_file():
        weights = require("safetensors.torch").load_file(str(adapter / ADAPTER_WEIGHTS))
        require("peft").set_peft_model_state_dict(model, weights)
        result = LoopResult(steps=[StepRecord(**{k: v for k, v in s.items()
                                                 if k != "tokens_per_s"})
                                   for s in log["steps"]],
                            validation=log["validation"], seconds=log["seconds"])
        result.kept_epoch = log.get("kept_epoch")
        return result
    result = run_loop(model, train, validation, settings, on_step=on_step)
    model.save_pretrained(str(adapter), save_embedding_layers=False)
    log_file.write_text(json.dumps({
        "fingerprint": fingerprint, "seconds": result.seconds, "validation": result.validation,
        "kept_epoch": getattr(result, "kept_epoch", None),
        "steps": [asdict(s) for s in result.steps]}, indent=1) + "\n", encoding="utf-8")
    return result


def grpo_figures(student: Path, method: str) -> dict[str, Any] | None:
    """GRPO's curve for the report: reward and pass rate (and KL, length) per step."""
    steps = read_steps(student / GRPO_DIR)
    if not steps:
        return None
    keys = ("step", "reward", "pass_rate", "kl", "completion_length")
    return {"method": method, "steps": [{k: s.get(k) for k in keys} for s in steps]}


# Measured on the 2-core reference machine while other work kept its load average at about 13
# (bench/rl_student.py, see docs/students.md): a GRPO step on SmolLM2-135M of 4 completions of
# at most 48 tokens for a ~230-token news prompt (sampling, the policy's and the reference's
# log-probabilities, one backward pass) took about 52 s, 13 s per completion. An idle machine
# is faster; steps.jsonl has the real figure.
GRPO_SECONDS_PER_COMPLETION = 13.0


def plan_method(plan: dict[str, Any], options: Any) -> dict[str, Any]:
    """The plan with what GRPO will do, and its time added to the estimate (CPU figures)."""
    plan = {**plan, "method": options.method}
    if options.method == "sft":
        return plan
    per_step = options.group_size * options.prompts_per_step
    plan.update(grpo_steps=options.grpo_steps, grpo_completions_per_step=per_step,
                grpo_max_new_tokens=options.max_new_tokens)
    if plan.get("estimated_seconds") is not None:
        plan["estimated_seconds"] += round(options.grpo_steps * per_step
                                           * GRPO_SECONDS_PER_COMPLETION)
    return plan
