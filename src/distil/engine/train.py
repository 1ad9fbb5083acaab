"""The train stage: the recipe's trainer turns the exported dataset into a student.

The trainer is awaited: an API trainer follows its provider's fine-tuning job through the run's
job ledger (`distil.engine.jobs`), a local one trains in a thread, so the event loop is never
blocked. The student's model spec (`{plugin: {options}}`) is stored in the run, where the
evaluate stage finds it under the label `student`. A trainer that learns from rewards gets the
train split's prompts and constraints (`TrainingRun.prompts`); what a trainer reports about its
training (`Trainer.figures`, e.g. a GRPO run's reward per step) is stored for the report.
"""

from __future__ import annotations

from typing import Any

from distil.engine.context import RunContext
from distil.engine.evaluation import STUDENT_META
from distil.engine.jobs import JobLedger
from distil.kinds.trainer import PromptTask, TrainingRun

TRAINING_META = "training"  # the trainer's figures, shown by the report


async def train(ctx: RunContext) -> dict[str, Any] | None:
    trainer = ctx.recipe.trainer
    if trainer is None:
        ctx.skip("train: nothing to do: the recipe has no student")
        return None
    train_file = ctx.run_dir / "train.jsonl"
    if not train_file.is_file():
        ctx.skip("train: nothing to do: there is no train.jsonl yet (run the generate and "
                "export stages first)")
        return None
    plan = trainer.prepare(train_file, ctx.run_dir / "validation.jsonl")
    prompts = tuple(PromptTask(doc, ctx.prompt_for(doc), ctx.constraints_for(doc))
                    for doc in ctx.splits().get("train", []))
    run = TrainingRun(dir=ctx.run_dir, jobs=JobLedger(ctx.store, ctx.run_dir),
                      yes=ctx.options.yes, prompts=prompts)
    spec = await trainer.train(plan, run)
    ctx.store.set_meta(STUDENT_META, spec)
    figures = trainer.figures(run)
    if figures:
        ctx.store.set_meta(TRAINING_META, figures)
    ctx.mark("train", "done")
    return spec
