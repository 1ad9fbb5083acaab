"""The flow every API trainer follows, whichever provider runs the job.

prepare: validate train.jsonl (and validation.jsonl when it has examples) with the checks of
`distil dataset validate`, count tokens, pick the epochs and estimate the cost
(`distil_builtin.trainers.openai_prices`). Nothing is sent.

train, a coroutine that never blocks the run's event loop (the providers' clients are
synchronous, so each call runs in a worker thread; the waits are `asyncio.sleep`):
1. The job belongs to the run's ledger of provider jobs (`distil.engine.jobs`), under a key made
   of the trainer, the data and the options that shape the job. A resumed run with the same
   data and options re-attaches to the job recorded there: it never starts (or pays for) a
   second one. If only the files were uploaded (a crash between creating the job and recording
   its id), the job is looked for by the uploaded training file before one is created.
2. Otherwise show the estimate and ask before anything is paid (`distil run --yes` skips the
   question; with no terminal to ask on, nothing starts). Upload, create the job, and record
   its id before the first poll.
3. Follow the job (`distil.engine.jobs.follow`): status changes, the provider's events (step,
   train and validation loss), until it succeeds (checkpoints listed, the model spec returned),
   fails (the provider's reason, as it gave it) or is cancelled.
4. Ctrl-C while following: on a terminal, ask whether to cancel the paid job (default: no);
   otherwise leave it running. Either way say how to come back to it.

`student.json` in the run directory is a readable copy of the job's ledger entry (ids,
statuses, checkpoints, the estimate; never a key). A resumed run reads the ledger, not the file.
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from distil.confirm import confirm_spending, is_interactive
from distil.datasets.validate import Report, validate_file
from distil.engine.jobs import JobState, follow
from distil.errors import TransientModelError, UsageError
from distil.kinds import Trainer
from distil.kinds.trainer import TrainingRun
from distil.wording import money, plural
from distil_builtin.trainers.jobs import FineTuneError, JobBackend, JobInfo
from distil_builtin.trainers.openai_prices import FineTuneEstimate, estimate_fine_tune
from distil_builtin.trainers.progress import JobProgress

STATE_FILE = "student.json"
JOB = "fine-tuning job"

Auto = Literal["auto"]


class FineTuneTrainer(Trainer, abc.ABC):
    """Options and flow shared by the API trainers (abstract: see `openai` and `litellm`)."""

    base_model: str = Field(description="The model to fine-tune (a fine-tunable snapshot).")
    n_epochs: Annotated[int, Field(ge=1, le=50)] | Auto = Field(
        default="auto", description="Epochs; `auto` lets the provider choose (OpenAI: 3, "
                                    "more for small files, fewer for large ones).")
    batch_size: Annotated[int, Field(ge=1)] | Auto = Field(
        default="auto", description="Examples per batch; `auto` lets the provider choose.")
    learning_rate_multiplier: Annotated[float, Field(gt=0)] | Auto = Field(
        default="auto", description="Scales the provider's learning rate; `auto` lets it choose.")
    suffix: str | None = Field(default=None, max_length=64,
                               description="Up to 64 characters added to the model's name.")
    seed: int | None = Field(default=None, description="Seed of the training job.")
    poll_interval: float = Field(default=30.0, gt=0,
                                 description="Seconds between status checks of the job.")
    training_price_per_million: float | None = Field(
        default=None, ge=0, description="Training price in USD per 1M tokens, overriding the "
                                        "built-in table (for the cost estimate).")

    # Options that change how the job is watched or evaluated, not the job: a resumed run with
    # other values still re-attaches to the job it started.
    NOT_IN_JOB_KEY: ClassVar[frozenset[str]] = frozenset(
        {"poll_interval", "timeout", "training_price_per_million", "student_model"})

    # -- for subclasses -----------------------------------------------------------------------
    @abc.abstractmethod
    def backend(self) -> JobBackend:
        """The provider's API, with the client built (reads the key from the environment)."""

    @property
    def who(self) -> str:
        return f"{self.plugin_name or 'trainer'} trainer"

    def hyperparameters(self) -> dict[str, Any]:
        values = {"n_epochs": self.n_epochs, "batch_size": self.batch_size,
                  "learning_rate_multiplier": self.learning_rate_multiplier}
        return {k: v for k, v in values.items() if v != "auto"}

    # -- estimate and prepare -----------------------------------------------------------------
    def estimate(self, example_tokens: Sequence[int]) -> FineTuneEstimate:
        """Epochs (OpenAI's rule unless `n_epochs` is set), billed tokens and dollars."""
        epochs = self.n_epochs if isinstance(self.n_epochs, int) else None
        return estimate_fine_tune(list(example_tokens), self.base_model, n_epochs=epochs,
                                  price_per_million=self.training_price_per_million)

    def prepare(self, train_file: Path, validation_file: Path | None) -> dict[str, Any]:
        report = validate_file(train_file, base_model=self.base_model)
        _require_valid(report)
        validation = validation_sha = None
        validation_examples = 0
        if validation_file is not None and validation_file.is_file() \
                and validation_file.stat().st_size > 0:
            vreport = validate_file(validation_file, base_model=self.base_model, min_examples=1)
            _require_valid(vreport)
            validation, validation_examples = str(validation_file), vreport.examples
            validation_sha = _sha256(validation_file)
        estimate = self.estimate(report.example_tokens)
        return {
            "trainer": self.plugin_name,
            "base_model": self.base_model,
            "train_file": str(train_file),
            "train_sha256": _sha256(train_file),
            "validation_file": validation,
            "validation_sha256": validation_sha,
            "examples": report.examples,
            "validation_examples": validation_examples,
            "tokens": report.tokens["total_tokens"],
            "token_counter": report.tokens["counter"],
            "warnings": len(report.warnings),
            "hyperparameters": self.hyperparameters(),
            "estimate": estimate.to_dict(),
            "estimate_text": estimate.describe(),
            "time": "set by the provider's queue: minutes to hours",
        }

    # -- train --------------------------------------------------------------------------------
    def job_key(self, plan: dict[str, Any]) -> str:
        """The ledger key of the job for this plan: the trainer, the data, the job's options."""
        shaping = self.model_dump(mode="json", exclude=set(self.NOT_IN_JOB_KEY))
        identity = {"trainer": self.plugin_name, "options": shaping,
                    "train": plan["train_sha256"], "validation": plan.get("validation_sha256")}
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        return f"fine-tune/{self.plugin_name}/{digest[:16]}"

    async def train(self, plan: dict[str, Any], run: TrainingRun) -> dict[str, Any]:
        watch = _Watch(self, self.backend(), run, self.job_key(plan))
        try:
            state = await follow(run.jobs, watch.key, submit=lambda: watch.submit(plan),
                                 poll=watch.poll, interval=self.poll_interval, describe=JOB,
                                 say=watch.say, cancel=watch.cancel)
        finally:
            watch.close()
        return await watch.finish(state)


class _Watch:
    """One `train` call's side of its job: the backend, what was shown, the last report."""

    def __init__(self, trainer: FineTuneTrainer, backend: JobBackend, run: TrainingRun,
                 key: str) -> None:
        self.trainer, self.backend, self.run, self.key = trainer, backend, run, key
        self.who = trainer.who
        self.job: JobInfo | None = None
        self.seen: set[str] = set()
        self.progress: JobProgress | None = None

    def say(self, line: str) -> None:
        line = f"{self.who}: {line}"
        if self.progress is not None:
            self.progress.say(line)
        else:
            _say(line)

    def note(self, **info: Any) -> None:
        """Commit `info` to the job's ledger entry, and refresh the readable copy."""
        self.run.jobs.note(self.key, **info)
        self.mirror()

    def mirror(self) -> None:
        entry = self.run.jobs.find(self.key) or {}
        state = {"job_id": entry.get("id"), **{k: v for k, v in entry.items() if k != "id"}}
        path = self.run.dir / STATE_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)

    async def submit(self, plan: dict[str, Any]) -> str:
        """A job for the plan: one the provider already has on this run's upload, else a new
        one, confirmed first. Returns its id (`follow` records it)."""
        backend, entry = self.backend, self.run.jobs.find(self.key) or {}
        if entry.get("training_file"):
            found = await asyncio.to_thread(backend.find_job, entry["training_file"])
            if found is not None:
                self.say(f"found {JOB} {found.id} created on this run's uploaded file; "
                         "re-attaching to it")
                return found.id
        validation = (f" and {plural(plan['validation_examples'], 'validation example')}"
                      if plan["validation_file"] else "")
        self.say(f"fine-tune {plan['base_model']} on {plural(plan['examples'], 'example')}"
                 f"{validation}: {plan['estimate_text']}; tokens counted with "
                 f"{plan['token_counter']}")
        cost = plan["estimate"]["cost"]
        price = f"about {money(cost)}" if cost is not None else "an unknown amount"
        confirm_spending(f"Start a paid {JOB} of {plan['base_model']} ({price})?",
                         yes=self.run.yes)
        self.note(trainer=self.trainer.plugin_name, base_model=plan["base_model"],
                  train_sha256=plan["train_sha256"], estimate=plan["estimate"])
        if not entry.get("training_file"):
            self.note(training_file=await asyncio.to_thread(backend.upload,
                                                            Path(plan["train_file"])))
        if plan["validation_file"] and not entry.get("validation_file"):
            self.note(validation_file=await asyncio.to_thread(backend.upload,
                                                              Path(plan["validation_file"])))
        entry = self.run.jobs.find(self.key) or {}
        t = self.trainer
        job = await asyncio.to_thread(
            lambda: backend.create(base_model=t.base_model, training_file=entry["training_file"],
                                   validation_file=entry.get("validation_file"),
                                   hyperparameters=t.hyperparameters(), suffix=t.suffix,
                                   seed=t.seed))
        self.say(f"created {JOB} {job.id}")
        self.show(job)
        return job.id

    def show(self, job: JobInfo) -> None:
        if self.progress is None:
            self.progress = JobProgress(job.id)
        self.progress.status(job)

    async def poll(self, job_id: str) -> JobState:
        if self.job is None:
            self.mirror()  # the id is in the ledger now; the copy says so too
        job = self.job = await asyncio.to_thread(self.backend.retrieve, job_id)
        if self.progress is None:
            self.progress = JobProgress(job.id)
        try:
            for event in await asyncio.to_thread(self.backend.events, job_id, set(self.seen)):
                self.seen.add(event.id)
                self.progress.event(event)
        except TransientModelError as exc:
            self.progress.say(f"job {job_id}: could not read events ({exc}); trying again")
        self.show(job)
        return JobState(job.id, job.status, job.done, failed=job.done and
                        job.status != "succeeded")

    async def cancel(self, job_id: str) -> bool:
        """Ctrl-C while following: True when the user had the job cancelled."""
        self.close()
        if not is_interactive():
            return False
        import click

        try:
            cancel = click.confirm(
                f"Cancel {JOB} {job_id}? Training done so far is billed, and a cancelled job "
                "cannot be resumed", default=False, err=True)
        except click.Abort:  # a second Ctrl-C answers "no"
            cancel = False
        if not cancel:
            return False
        job = await asyncio.to_thread(self.backend.cancel, job_id)
        self.run.jobs.finish(self.key, job.status)
        self.mirror()
        self.say(f"cancelled {JOB} {job_id}")
        return True

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()

    async def finish(self, state: JobState) -> dict[str, Any]:
        job = self.job
        assert job is not None and job.id == state.id  # follow returns what poll reported
        self.note(status=job.status, fine_tuned_model=job.fine_tuned_model, error=job.error,
                  trained_tokens=job.trained_tokens)
        if job.status != "succeeded":
            reason = job.error or "no reason given"
            what = "was cancelled" if job.status == "cancelled" else f"failed: {reason}"
            raise FineTuneError(f"{self.who}: {JOB} {job.id} {what}. A resumed run re-attaches "
                                "to this job; to train again, change the data or the trainer's "
                                "options, or use a new run directory")
        if not job.fine_tuned_model:
            raise FineTuneError(f"{self.who}: job {job.id} succeeded without a model id")
        try:
            checkpoints = await asyncio.to_thread(self.backend.checkpoints, job.id)
        except TransientModelError:
            checkpoints = []
        for c in checkpoints:
            metrics = c.get("metrics") or {}
            loss = metrics.get("train_loss")
            loss_text = f", train loss {loss:.4f}" if isinstance(loss, (int, float)) else ""
            self.say(f"checkpoint at step {c.get('step_number')}: "
                     f"{c.get('fine_tuned_model_checkpoint')}{loss_text}")
        spec = self.backend.model_spec(job.fine_tuned_model)
        self.note(checkpoints=checkpoints, model_spec=spec)
        self.say(f"fine-tuned model {job.fine_tuned_model}")
        return spec


def _require_valid(report: Report) -> None:
    if report.valid:
        return
    shown = [p.render(report.path) for p in report.errors[:3]]
    more = len(report.errors) - len(shown)
    tail = f" (and {more} more)" if more else ""
    raise UsageError(f"{report.path} is not a valid fine-tuning file: {'; '.join(shown)}{tail}; "
                     f"see `distil dataset validate {report.path}`")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
