"""Trainer (student): turns a dataset into a model."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from distil.kinds.base import Plugin

if TYPE_CHECKING:  # the engine's module; kinds stay importable without the engine
    from distil.engine.jobs import JobLedger
    from distil.kinds.constraint import ConstraintSet
    from distil.types import Document, Message


@dataclass(frozen=True)
class PromptTask:
    """One document of the train split as a trainer that learns from rewards sees it: the
    recipe's prompt rendered for it, and the constraints that judge an answer to it (the
    recipe's and the document's own)."""

    doc: Document
    messages: tuple[Message, ...]
    constraints: ConstraintSet


@dataclass(frozen=True)
class TrainingRun:
    """What the train stage hands a trainer.

    `dir` is the run directory (for the trainer's files), `jobs` the run's ledger of provider
    jobs (an API trainer records its fine-tuning job there before polling it, and a resumed run
    re-attaches to it), `yes` whether paid work is confirmed already (`distil run --yes`), and
    `prompts` the train split's documents with their prompts and constraints, for a trainer
    whose reward is the constraints (the `local` trainer's GRPO).
    """

    dir: Path
    jobs: JobLedger
    yes: bool = False
    prompts: tuple[PromptTask, ...] = ()


class TrainingEstimate(Protocol):
    """What a trainer says training will cost, for `prepare`'s plan and `distil dataset
    validate`."""

    base_model: str
    cost: float | None  # US dollars; None when the trainer knows no price

    def describe(self) -> str: ...

    def to_dict(self) -> dict[str, object]: ...


class Trainer(Plugin, abc.ABC):
    """Fine-tunes a student on the exported dataset."""

    @abc.abstractmethod
    def prepare(self, train_file: Path, validation_file: Path | None) -> dict[str, Any]:
        """Validate the data and return a plan (with a cost and time estimate) to show the user."""

    @abc.abstractmethod
    async def train(self, plan: dict[str, Any], run: TrainingRun) -> dict[str, Any]:
        """Run the plan; return a model spec (`{plugin: {params}}`) the evaluate stage can load.

        A coroutine: a trainer that waits on a provider awaits (`distil.engine.jobs.follow`),
        and one that computes runs its work in a thread (`asyncio.to_thread`), so the run's
        event loop is never blocked.
        """

    def estimate(self, example_tokens: Sequence[int]) -> TrainingEstimate | None:
        """The cost of training on examples of these token counts; None when unknown."""
        return None

    def export(self, run_dir: Path, fmt: str, output: Path | None = None,
               options: dict[str, Any] | None = None) -> Path:
        """(Re)make format `fmt` of the student this trainer trained in `run_dir`, at `output`
        (default: its place in the run), for `distil student export`; return the path written.
        Default: a UsageError, the student being no file distil can export (an API fine-tune)."""
        from distil.errors import UsageError

        raise UsageError(f"{run_dir}: trainer {self.plugin_name!r} leaves no student files "
                         "to export (its student lives at the provider)")

    def figures(self, run: TrainingRun) -> dict[str, Any] | None:
        """What the finished training shows in the report (results.json's `training`), such
        as `{"steps": [{"step": 1, "reward": 0.8, "pass_rate": 0.25}, ...]}`; None: nothing."""
        return None
