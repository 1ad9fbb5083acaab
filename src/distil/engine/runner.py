"""A run's lifecycle: open its directory, run the chosen stages in order, record how it ended.

The stages themselves live one to a module (generate, export, train, evaluate, report); they
share a `RunContext` and read what earlier stages persisted, so any stage can be run alone
(`distil run --stage evaluate`) or resumed after a crash (`distil run --resume`).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distil.engine.context import STAGES, RunContext, RunOptions
from distil.engine.evaluate import evaluate
from distil.engine.evaluation import EvaluationPlan, load_plan, plan_for
from distil.engine.export import export
from distil.engine.generate import generate
from distil.engine.report import render_reports
from distil.engine.results import generation_summary, results
from distil.engine.rundir import now_utc, open_run_dir, write_manifest
from distil.engine.store import RunStore
from distil.engine.train import train
from distil.errors import DistilError, Interrupted
from distil.kinds import Model, Reporter
from distil.recipe import LoadedRecipe
from distil.types import Document

__all__ = ["STAGES", "RunOptions", "RunOutcome", "Runner", "nothing_to_run"]


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended, read from its store (whatever metrics the recipe lists)."""

    documents: int  # generated documents with an outcome
    accepted: int  # of those, accepted or kept closest
    failed_documents: int  # every request for the document failed
    failed_answers: int  # evaluation records whose request failed
    reasons: dict[str, int]  # why requests failed for good, grouped

    @property
    def failed(self) -> bool:
        return bool(self.failed_documents or self.failed_answers)

    @property
    def nothing_accepted(self) -> bool:
        return self.documents > 0 and self.accepted == 0


def nothing_to_run(recipe: LoadedRecipe) -> str | None:
    """Why a whole run of `recipe` would do nothing, or None."""
    if recipe.teacher_model is None and recipe.spec.evaluate is None:
        return (f"{recipe.path}: nothing to run: the recipe has no teacher and no evaluate "
                f"section (add one, or use `distil eval {recipe.path} --model MODEL`)")
    return None


class Runner:
    """Executes a LoadedRecipe's stages against one run directory.

    `plan` is the evaluation to run (default: the one this run stored, else the recipe's).
    """

    def __init__(self, recipe: LoadedRecipe, run_dir: Path, options: RunOptions | None = None,
                 plan: EvaluationPlan | None = None) -> None:
        self.recipe = recipe
        self.run_dir = run_dir
        self.options = options = options or RunOptions()
        manifest, store = open_run_dir(run_dir, recipe)
        # The --limit a run was started with (or last given), for --resume to carry on with;
        # re-rendering a report or running a stage without --limit leaves it as it was.
        if "limit" not in manifest or options.limit not in (None, manifest["limit"]):
            manifest["limit"] = options.limit
            write_manifest(run_dir, manifest)
        self.ctx = RunContext(recipe, run_dir, options, manifest, store)
        self.plan = plan
        self.last_results: dict[str, Any] = {}
        self.last_outcome: RunOutcome | None = None

    @property
    def store(self) -> RunStore:
        return self.ctx.store

    def splits(self) -> dict[str, list[Document]]:
        return self.ctx.splits()

    def evaluation_plan(self) -> EvaluationPlan | None:
        """The plan given, else the one this run stored, else the recipe's (None: none)."""
        if self.plan is None:
            self.plan = load_plan(self.store)
        if self.plan is None and self.recipe.spec.evaluate is not None:
            self.plan = plan_for(self.recipe)
        return self.plan

    # -- stages ---------------------------------------------------------------------------------
    async def generate(self) -> dict[str, Any]:
        await self._load("teacher", self.recipe.teacher_model)
        await generate(self.ctx)
        return generation_summary(self.store)

    async def evaluate(self) -> None:
        plan = self.evaluation_plan()
        if plan is None:
            self.ctx.skip("evaluate: nothing to do: the recipe has no evaluate section")
            return
        for label, model in plan.model_plugins(self.recipe, self.store):
            await self._load(label, model)
        await evaluate(self.ctx, plan)

    def report(self, reporters: Sequence[Reporter] | None = None) -> list[Path]:
        """Render the reports (the recipe's, or `reporters`) from the store; no model is
        called."""
        self.last_results = results(self.ctx, self.evaluation_plan())
        paths = render_reports(self.last_results, self.run_dir,
                               self.recipe.reporters if reporters is None else reporters)
        self.ctx.mark("report", "done")
        return paths

    async def _load(self, label: str, model: Model | None) -> None:
        """Load a model before its first request, timed: the load is a figure of its own and
        stays out of per-request latency."""
        if model is None:
            return
        started = time.perf_counter()
        await model.load()
        seconds = time.perf_counter() - started
        if seconds >= 0.01:
            loads = self.store.get_meta("load_seconds", {})
            loads[label] = round(seconds, 3)
            self.store.set_meta("load_seconds", loads)

    # -- whole run ------------------------------------------------------------------------------
    async def run(self, stages: Sequence[str] = STAGES) -> list[Path]:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        if task is not None:  # SIGTERM (a scheduler, `kill`) stops the run as Ctrl-C does
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        self.ctx.stages_chosen = tuple(stages) != STAGES
        try:
            paths = await self._run(stages)
            self.ctx.mark("run", "done")  # a resumed run no longer reads "interrupted"
            return paths
        except (KeyboardInterrupt, asyncio.CancelledError):
            self.ctx.mark("run", "interrupted")
            raise Interrupted(f"Interrupted: everything finished so far is saved. Carry on "
                              f"with: distil run --resume {self.run_dir}") from None
        except DistilError as exc:
            self.ctx.mark("run", f"stopped: {exc}")
            raise
        finally:
            if task is not None:
                loop.remove_signal_handler(signal.SIGTERM)
            await self.aclose()

    async def _run(self, stages: Sequence[str]) -> list[Path]:
        if "generate" in stages:
            await self.generate()
        if "export" in stages:
            export(self.ctx)
        if "train" in stages:
            await train(self.ctx)
        if "evaluate" in stages:
            await self.evaluate()
        if any(s != "report" for s in stages):  # a re-render leaves the run's end as it was
            self.ctx.manifest["finished"] = now_utc()
            write_manifest(self.run_dir, self.ctx.manifest)
        paths = self.report() if "report" in stages else []
        if not paths:
            self.last_results = results(self.ctx, self.evaluation_plan())
        self.last_outcome = self.outcome()
        return paths

    def outcome(self) -> RunOutcome:
        outcomes = self.store.outcomes().values()
        return RunOutcome(
            documents=len(outcomes),
            accepted=sum(1 for o in outcomes if o["status"] in ("accepted", "closest")),
            failed_documents=sum(1 for o in outcomes if o["status"] == "failed"),
            failed_answers=self.store.eval_failures(),
            reasons=self.store.failure_reasons(),
        )

    async def aclose(self) -> None:
        models: dict[int, Model] = {}
        if self.recipe.teacher_model is not None:
            models[id(self.recipe.teacher_model)] = self.recipe.teacher_model
        if self.plan is not None:
            models.update({id(m): m for m in self.plan.built_models()})
        for m in models.values():
            await m.aclose()
        self.ctx.pipeline.close()
