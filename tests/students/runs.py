"""A `TrainingRun` for calling a trainer directly, with the run's real store behind its ledger."""

from __future__ import annotations

from pathlib import Path

from distil.engine.jobs import JobLedger
from distil.engine.store import RunStore
from distil.kinds.trainer import PromptTask, TrainingRun


def run_store(run_dir: Path) -> RunStore:
    """The store of the run in `run_dir`: opened when it exists (a resumed run), else created."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "store.sqlite"
    return RunStore.open(path) if path.exists() else RunStore.create(path)


def training_run(run_dir: Path, *, yes: bool = True,
                 prompts: tuple[PromptTask, ...] = ()) -> TrainingRun:
    """The run in `run_dir`; the same folder again is the same ledger, as on resume.
    `prompts`: the train split's documents, for a trainer that learns from rewards."""
    return TrainingRun(dir=run_dir, jobs=JobLedger(run_store(run_dir), run_dir), yes=yes,
                       prompts=prompts)
