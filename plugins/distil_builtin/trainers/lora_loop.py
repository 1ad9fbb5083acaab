"""The training loop of the `local` trainer: plain torch, so every step is visible and cheap.

transformers' `Trainer` would bring accelerate's device and precision machinery; on a CPU with
a few hundred steps at most, a loop of forty lines is easier to reason about, to seed and to
time. It does: seeded shuffling, right-padded batches, gradient accumulation, AdamW with a linear
decay of the learning rate, gradient clipping, a rich progress bar showing the loss, a record of
every optimizer step (loss, tokens, tokens per second), and a validation loss after each epoch;
with a validation set, the model ends with the weights of its best epoch (lowest validation
loss), kept as an in-memory copy of the adapter's parameters (a few megabytes).

torch is imported inside the functions: this module is imported when the trainer registers.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from distil_builtin.trainers.chat_examples import IGNORE_INDEX, EncodedExample

MAX_GRAD_NORM = 1.0


@dataclass(frozen=True)
class LoopSettings:
    epochs: int
    batch_size: int
    gradient_accumulation: int
    learning_rate: float
    seed: int
    device: str
    pad_token_id: int
    keep_best: bool = True  # end on the epoch with the lowest validation loss, not the last


@dataclass
class StepRecord:
    """One optimizer step. `tokens` counts real (non-padding) tokens seen in the step.

    `cpu_seconds` is the CPU time the process used in the step (all threads): next to the wall
    `seconds` it shows whether the machine was busy with something else.
    """

    step: int
    epoch: int
    loss: float
    learning_rate: float
    tokens: int
    seconds: float
    cpu_seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tokens_per_s": round(self.tokens_per_s, 2)}


@dataclass
class LoopResult:
    steps: list[StepRecord] = field(default_factory=list)
    validation: list[dict[str, float]] = field(default_factory=list)  # {"epoch", "loss"}
    seconds: float = 0.0
    kept_epoch: int | None = None  # the epoch whose weights the model ends with

    @property
    def best(self) -> dict[str, float] | None:
        """The epoch with the lowest validation loss (the first of equals), or None."""
        scored = [v for v in self.validation if not math.isnan(v["loss"])]
        return min(scored, key=lambda v: v["loss"]) if scored else None

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.steps)

    @property
    def tokens_per_s(self) -> float:
        busy = sum(s.seconds for s in self.steps)
        return self.tokens / busy if busy > 0 else 0.0

    @property
    def cpu_seconds(self) -> float:
        return sum(s.cpu_seconds for s in self.steps)


def make_batches(examples: Sequence[EncodedExample], batch_size: int,
                 rng: random.Random) -> list[list[EncodedExample]]:
    order = list(examples)
    rng.shuffle(order)
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def optimizer_steps(n_examples: int, settings: LoopSettings) -> int:
    per_epoch = math.ceil(math.ceil(n_examples / settings.batch_size)
                          / settings.gradient_accumulation)
    return per_epoch * settings.epochs


def collate(batch: Sequence[EncodedExample], pad_token_id: int, device: str) -> dict[str, Any]:
    """Right-padded tensors; padding is masked from attention and from the loss."""
    import torch

    width = max(len(e) for e in batch)
    ids = torch.full((len(batch), width), pad_token_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, example in enumerate(batch):
        n = len(example)
        ids[row, :n] = torch.tensor(example.input_ids)
        labels[row, :n] = torch.tensor(example.labels)
        mask[row, :n] = 1
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device),
            "labels": labels.to(device)}


def _predicted_tokens(labels: Any) -> int:
    """Tokens the loss is taken on: the model predicts position i+1 from position i."""
    return int((labels[:, 1:] != IGNORE_INDEX).sum())


def run_loop(model: Any, train: Sequence[EncodedExample], validation: Sequence[EncodedExample],
             settings: LoopSettings, progress: bool | None = None,
             on_step: Callable[[StepRecord], None] | None = None) -> LoopResult:
    """Train `model`'s trainable parameters (the LoRA adapters) on `train`."""
    import torch

    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=0.0)
    total = max(1, optimizer_steps(len(train), settings))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: max(0.0, 1.0 - step / total))
    result = LoopResult()
    best: dict[str, Any] | None = None  # a copy of the trainable weights at the best epoch
    started = time.perf_counter()
    with loss_progress(total, progress) as show:
        for epoch in range(1, settings.epochs + 1):
            model.train()
            batches = make_batches(train, settings.batch_size, rng)
            for first in range(0, len(batches), settings.gradient_accumulation):
                group = batches[first:first + settings.gradient_accumulation]
                record = _step(model, group, settings, optimizer, scheduler, epoch,
                               len(result.steps) + 1, params)
                result.steps.append(record)
                show(record)
                if on_step is not None:
                    on_step(record)
            if validation:
                loss = evaluate_loss(model, validation, settings)
                result.validation.append({"epoch": epoch, "loss": loss})
                if settings.keep_best and result.best == result.validation[-1]:
                    best = {name: p.detach().clone() for name, p in model.named_parameters()
                            if p.requires_grad}
    result.kept_epoch = settings.epochs
    if best is not None and result.best is not None and result.best["epoch"] != settings.epochs:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name in best:
                    p.copy_(best[name])
        result.kept_epoch = int(result.best["epoch"])
    result.seconds = time.perf_counter() - started
    return result


def _step(model: Any, group: Sequence[Sequence[EncodedExample]], settings: LoopSettings,
          optimizer: Any, scheduler: Any, epoch: int, number: int, params: list) -> StepRecord:
    import torch

    started, cpu_started = time.perf_counter(), time.process_time()
    learning_rate = scheduler.get_last_lr()[0]
    losses: list[float] = []
    tokens = 0
    for batch in group:
        inputs = collate(batch, settings.pad_token_id, settings.device)
        if _predicted_tokens(inputs["labels"]) == 0:
            continue  # nothing to learn in this batch (every answer truncated away)
        loss = model(**inputs).loss
        (loss / len(group)).backward()
        losses.append(float(loss.detach()))
        tokens += int(inputs["attention_mask"].sum())
    torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    loss_value = sum(losses) / len(losses) if losses else float("nan")
    return StepRecord(number, epoch, loss_value, learning_rate, tokens,
                      time.perf_counter() - started, time.process_time() - cpu_started)


def evaluate_loss(model: Any, examples: Sequence[EncodedExample],
                  settings: LoopSettings) -> float:
    """Mean loss per trained token over `examples` (no gradients)."""
    import torch

    model.eval()
    total_loss, total_tokens = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(examples), settings.batch_size):
            inputs = collate(examples[i:i + settings.batch_size], settings.pad_token_id,
                             settings.device)
            n = _predicted_tokens(inputs["labels"])
            if n:
                total_loss += float(model(**inputs).loss) * n
                total_tokens += n
    model.train()
    return total_loss / total_tokens if total_tokens else float("nan")


@contextmanager
def loss_progress(total_steps: int, enabled: bool | None) -> Iterator[Callable[[StepRecord], None]]:
    """A progress bar over optimizer steps showing loss and tokens/s (stderr, terminals only)."""
    with step_progress("train", total_steps, enabled) as show:
        yield lambda record: show(f"epoch {record.epoch}  loss {record.loss:.4f}  "
                                  f"{record.tokens_per_s:.0f} tok/s")


@contextmanager
def step_progress(label: str, total_steps: int, enabled: bool | None,
                  completed: int = 0) -> Iterator[Callable[[str], None]]:
    """A bar over optimizer steps; each call of the function it yields advances it by one step
    and shows the text beside it (stderr, terminals only, unless `enabled` says otherwise)."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    console = Console(file=sys.stderr)
    if enabled is None:
        enabled = console.is_terminal
    if not enabled:
        yield lambda status: None
        return
    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[status]}"),
                  console=console) as bar:
        task = bar.add_task(label, total=total_steps, completed=completed, status="")

        def show(status: str) -> None:
            bar.update(task, advance=1, status=status)

        yield show
