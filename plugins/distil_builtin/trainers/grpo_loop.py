"""GRPO for the `local` trainer: TRL's `GRPOTrainer` on the peft model, rewarded by the recipe's
constraints.

Each step takes `prompts_per_step` prompts of the train split (the recipe's own prompt,
rendered for each document, as the teacher saw it), samples `group_size` completions of each,
scores every completion with the document's constraints (`ConstraintSet.check`, the very checks
the teacher's answers went through) turned into one number by `rewards.reward`, and moves the
LoRA adapter towards the completions that scored above their group's mean. The KL term (`beta`)
holds the policy near the reference: the base model, which TRL gets by switching the adapter
off (so for `sft+grpo` the KL is measured from the base, not from the SFT student).

What it writes in `folder` (`<run>/student/grpo/`):

- `steps.jsonl`: one line per optimizer step: mean reward, pass rate within the step's groups,
  KL, mean completion length (tokens), loss, learning rate, seconds;
- `completions.jsonl`: every completion scored: step, document, text, reward, and whether it
  passed (so anyone can recompute the rewards from the text);
- `checkpoint-N/`: TRL's checkpoints (adapter, optimizer, scheduler, random state), every
  `checkpoint_every` steps and when the run is stopped; a resumed run carries on from the last.

torch, transformers, trl and datasets are imported inside the functions: this module is
imported when the trainer registers.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distil.errors import UsageError
from distil.kinds.trainer import PromptTask
from distil_builtin.trainers.rewards import RewardShape, reward
from distil_builtin.transformers_runtime import require

STEPS_FILE = "steps.jsonl"
COMPLETIONS_FILE = "completions.jsonl"
STATE_FILE = "grpo.json"  # the fingerprint the checkpoints belong to
CHECKPOINT_PREFIX = "checkpoint-"
TRL_HINT = 'pip install -e ".[train]"  (trl, with torch, transformers and peft)'


@dataclass(frozen=True)
class GRPOSettings:
    steps: int
    group_size: int
    prompts_per_step: int
    learning_rate: float
    beta: float
    max_new_tokens: int
    temperature: float
    reward: RewardShape
    weights: Mapping[str, float]
    seed: int
    device: str
    checkpoint_every: int


@dataclass
class GRPOResult:
    steps: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    resumed_from: int = 0  # the checkpoint's step a resumed run carried on from (0: a fresh run)


class GRPOStopped(Exception):
    """The run was cancelled while GRPO trained; a checkpoint of the last step was saved."""


class ConstraintReward:
    """The reward function TRL calls: the recipe's constraints on each completion.

    TRL passes the dataset's extra columns as keyword lists, so `doc_id` says whose constraints
    judge each completion. Every completion is appended to `completions.jsonl` with its step.
    """

    __name__ = "constraints"  # TRL names the logged reward figures after the function

    def __init__(self, tasks: Sequence[PromptTask], shape: RewardShape,
                 weights: Mapping[str, float], log_file: Path) -> None:
        self.tasks = {task.doc.id: task for task in tasks}
        self.shape, self.weights, self.log_file = shape, dict(weights), log_file
        self.step = 1
        self.scored: dict[int, list[bool]] = {}  # step -> passed, per completion

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any],
                 doc_id: Sequence[str], trainer_state: Any = None, **_: Any) -> list[float]:
        if trainer_state is not None:  # TRL scores a step's completions before the step
            self.step = trainer_state.global_step + 1
        rewards: list[float] = []
        with self.log_file.open("a", encoding="utf-8") as out:
            for completion, key in zip(completions, doc_id):
                text = completion_text(completion)
                task = self.tasks[key]
                verdicts = task.constraints.check(text, task.doc)
                value = reward(verdicts, self.shape, self.weights)
                passed = all(v.passed for v in verdicts)
                self.scored.setdefault(self.step, []).append(passed)
                rewards.append(value)
                out.write(json.dumps({"step": self.step, "doc_id": key, "completion": text,
                                      "reward": value, "passed": passed}) + "\n")
        return rewards

    def pass_rate(self, step: int) -> float | None:
        passed = self.scored.get(step)
        return sum(passed) / len(passed) if passed else None


def completion_text(completion: Any) -> str:
    """A conversational completion is `[{"role": "assistant", "content": ...}]`."""
    if isinstance(completion, str):
        return completion
    return "".join(turn.get("content", "") for turn in completion)


def check_weights(weights: Mapping[str, float], tasks: Sequence[PromptTask]) -> None:
    """Every weighted name must be a constraint the prompts are judged by."""
    names = {c.name for task in tasks for c in task.constraints}
    unknown = sorted(set(weights) - names)
    if unknown:
        raise UsageError(f"local: reward_weights names {unknown[0]!r}, which is no constraint "
                         f"of the recipe (constraints: {', '.join(sorted(names)) or 'none'})")


def last_checkpoint(folder: Path) -> Path | None:
    steps = [(int(p.name[len(CHECKPOINT_PREFIX):]), p) for p in folder.glob(CHECKPOINT_PREFIX + "*")
             if p.name[len(CHECKPOINT_PREFIX):].isdigit() and (p / "trainer_state.json").is_file()]
    return max(steps)[1] if steps else None


def prepare_folder(folder: Path, fingerprint: str) -> Path | None:
    """The checkpoint to resume from, when `folder` holds one of this very training; a folder
    left by other options or data is cleared (its checkpoints cannot be carried on)."""
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    checkpoint = last_checkpoint(folder) if state.get("fingerprint") == fingerprint else None
    if checkpoint is None and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STATE_FILE).write_text(json.dumps({"fingerprint": fingerprint}) + "\n",
                                     encoding="utf-8")
    done = int(checkpoint.name[len(CHECKPOINT_PREFIX):]) if checkpoint else 0
    for name in (STEPS_FILE, COMPLETIONS_FILE):  # forget steps after the checkpoint
        keep_steps_up_to(folder / name, done)
    return checkpoint


def keep_steps_up_to(path: Path, step: int) -> None:
    if not path.is_file():
        return
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and json.loads(line)["step"] <= step]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def read_steps(folder: Path) -> list[dict[str, Any]]:
    path = folder / STEPS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _config(settings: GRPOSettings, folder: Path) -> Any:
    trl = _trl()
    cuda = settings.device == "cuda"
    torch = require("torch")
    return trl.GRPOConfig(
        output_dir=str(folder),
        max_steps=settings.steps,
        per_device_train_batch_size=settings.group_size * settings.prompts_per_step,
        gradient_accumulation_steps=1,
        num_generations=settings.group_size,
        max_completion_length=settings.max_new_tokens,
        temperature=settings.temperature,
        learning_rate=settings.learning_rate,
        beta=settings.beta,
        seed=settings.seed,
        logging_steps=1,
        save_strategy="steps",
        save_steps=settings.checkpoint_every,
        save_total_limit=2,
        report_to="none",
        disable_tqdm=True,
        use_cpu=not cuda,
        bf16=bool(cuda and torch.cuda.is_bf16_supported()),
        dataloader_num_workers=0,
        remove_unused_columns=False,
    )


def _trl() -> Any:
    try:
        import trl
    except ModuleNotFoundError as exc:
        raise UsageError(f"local training with method grpo needs {exc.name!r}: {TRL_HINT}") \
            from None
    return trl


def _dataset(tasks: Sequence[PromptTask]) -> Any:
    datasets = require("datasets")
    return datasets.Dataset.from_list([
        {"prompt": [m.to_dict() for m in task.messages], "doc_id": task.doc.id}
        for task in tasks])


def run_grpo(model: Any, tokenizer: Any, tasks: Sequence[PromptTask], settings: GRPOSettings,
             folder: Path, fingerprint: str, stop: threading.Event,
             progress: bool | None = None) -> GRPOResult:
    """Train `model`'s adapter with GRPO; resume from `folder`'s last checkpoint of the same
    training. Returns the steps logged (all of them, resumed ones included)."""
    if not tasks:
        raise UsageError("local: method grpo needs prompts: the recipe's train split is empty")
    check_weights(settings.weights, tasks)
    trl = _trl()
    transformers = require("transformers")
    checkpoint = prepare_folder(folder, fingerprint)
    # generate() refuses inputs a causal LM does not take (some tokenizers add token types)
    tokenizer.model_input_names = [n for n in tokenizer.model_input_names
                                   if n != "token_type_ids"]
    book = ConstraintReward(tasks, settings.reward, settings.weights, folder / COMPLETIONS_FILE)
    done = int(checkpoint.name[len(CHECKPOINT_PREFIX):]) if checkpoint else 0

    class Steps(transformers.TrainerCallback):
        """Numbers each step for the reward function, logs it, and stops when asked."""

        def __init__(self, show: Any) -> None:
            self.show, self.started = show, time.perf_counter()

        def on_step_begin(self, args, state, control, **kwargs):
            book.step = state.global_step + 1
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if stop.is_set():  # save this step, then leave the loop
                control.should_save = True
                control.should_training_stop = True

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "reward" not in logs:
                return
            record = step_record(state.global_step, logs, book.pass_rate(state.global_step),
                                 time.perf_counter() - self.started)
            with (folder / STEPS_FILE).open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
            self.show(describe_step(record))

    from distil_builtin.trainers.lora_loop import step_progress

    started = time.perf_counter()
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # notices for people tuning TRL, not for a run
    try:
        with step_progress("grpo", settings.steps, progress, completed=done) as show:
            trainer = trl.GRPOTrainer(
                model=model, reward_funcs=[book], args=_config(settings, folder),
                train_dataset=_dataset(tasks), processing_class=tokenizer,
                callbacks=[Steps(show)])
            trainer.remove_callback(transformers.PrinterCallback)  # steps.jsonl has them
            trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    finally:
        transformers.logging.set_verbosity(verbosity)
    if "ref" in getattr(model, "peft_config", {}):
        # TRL's frozen copy of the starting adapter, the KL reference: not part of the student
        model.delete_adapter("ref")
    if stop.is_set():
        raise GRPOStopped(f"stopped after GRPO step {trainer.state.global_step}")
    return GRPOResult(read_steps(folder), time.perf_counter() - started, done)


def step_record(step: int, logs: Mapping[str, Any], pass_rate: float | None,
                seconds: float) -> dict[str, Any]:
    """One line of steps.jsonl from TRL's logged figures and the reward function's own."""
    def figure(key: str) -> float | None:
        value = logs.get(key)
        return float(value) if isinstance(value, (int, float)) else None

    return {
        "step": step,
        "reward": figure("reward"),
        "reward_std": figure("reward_std"),
        "pass_rate": pass_rate,
        "kl": figure("kl"),
        "completion_length": figure("completions/mean_length"),
        "loss": figure("loss"),
        "learning_rate": figure("learning_rate"),
        "seconds": round(seconds, 3),
    }


def describe_step(record: Mapping[str, Any]) -> str:
    parts = [f"reward {record['reward']:.3f}"]
    if record.get("pass_rate") is not None:
        parts.append(f"pass {record['pass_rate']:.0%}")
    if record.get("kl") is not None:
        parts.append(f"kl {record['kl']:.4f}")
    if record.get("completion_length") is not None:
        parts.append(f"len {record['completion_length']:.0f}")
    return "  ".join(parts)


def summary(result: GRPOResult) -> dict[str, Any]:
    """What the train log keeps of a GRPO run: first and last figures, and every step."""
    steps = result.steps
    return {
        "grpo_steps": len(steps),
        "grpo_seconds": round(result.seconds, 2),
        "grpo_resumed_from": result.resumed_from,
        "first_reward": steps[0]["reward"] if steps else None,
        "last_reward": steps[-1]["reward"] if steps else None,
        "grpo": steps,
    }
