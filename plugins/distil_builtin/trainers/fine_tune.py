"""The flow every API trainer follows, whichever provider runs the job.

prepare: validate train.jsonl (and validation.jsonl when it has examples) with the checks of
`distil dataset validate`, count tokens, pick the epochs and estimate the cost. Nothing is sent.

train:
1. `student.json` in the run directory says whether this run already has a job. If it does,
   re-attach to it: a resumed run never starts (or pays for) a second one. If only the files
   were uploaded (a crash between creating the job and saving its id), look for a job on the
   uploaded training file before creating one.
2. Otherwise show the estimate and ask before anything is paid (`distil run --yes` skips the
   question; with no terminal to ask on, nothing starts). Upload, create the job, and save its
   id to `student.json` before the first poll.
3. Follow the job: status changes, the provider's events (step, train and validation loss),
   until it succeeds (checkpoints listed, the model spec returned), fails (the provider's
   reason, as it gave it) or is cancelled.
4. Ctrl-C while following: on a terminal, ask whether to cancel the paid job (default: no);
   otherwise leave it running. Either way say how to come back to it.

`student.json` holds ids, statuses and estimates, never a key.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from distil.confirm import confirm_spending, is_interactive
from distil.datasets.validate import Report, validate_file
from distil.errors import TransientModelError, UsageError
from distil.kinds import Trainer
from distil.wording import money, plural
from distil_builtin.trainers.jobs import FineTuneError, JobBackend, JobInfo
from distil_builtin.trainers.progress import JobProgress

STATE_FILE = "student.json"
MAX_POLL_FAILURES = 20  # consecutive failed status checks before giving up
sleep: Callable[[float], None] = time.sleep  # module attribute so tests can speed it up

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

    # -- prepare ------------------------------------------------------------------------------
    def prepare(self, train_file: Path, validation_file: Path | None) -> dict[str, Any]:
        epochs = self.n_epochs if isinstance(self.n_epochs, int) else None
        report = validate_file(train_file, base_model=self.base_model, n_epochs=epochs,
                               price_per_million=self.training_price_per_million)
        _require_valid(report)
        validation = None
        validation_examples = 0
        if validation_file is not None and validation_file.is_file() \
                and validation_file.stat().st_size > 0:
            vreport = validate_file(validation_file, base_model=self.base_model, min_examples=1)
            _require_valid(vreport)
            validation, validation_examples = str(validation_file), vreport.examples
        estimate = report.estimate
        assert estimate is not None  # a valid file has examples
        return {
            "trainer": self.plugin_name,
            "base_model": self.base_model,
            "train_file": str(train_file),
            "train_sha256": hashlib.sha256(train_file.read_bytes()).hexdigest(),
            "validation_file": validation,
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
    def train(self, plan: dict[str, Any], run_dir: Path) -> dict[str, Any]:
        state = load_state(run_dir)
        if state.get("trainer") not in (None, self.plugin_name):
            raise UsageError(f"{run_dir / STATE_FILE} belongs to the {state['trainer']!r} "
                             f"trainer; delete it to train with {self.plugin_name!r}")
        backend = self.backend()
        job = self._existing_job(backend, state, plan, run_dir)
        if job is None:
            job = self._start(backend, state, plan, run_dir)
        job = self._follow(backend, job, run_dir)
        return self._finish(backend, job, state, run_dir)

    def _existing_job(self, backend: JobBackend, state: dict[str, Any], plan: dict[str, Any],
                      run_dir: Path) -> JobInfo | None:
        if state.get("job_id"):
            _say(f"{self.who}: re-attaching to fine-tuning job {state['job_id']} "
                 f"(from {run_dir / STATE_FILE}); no new job is started")
            if state.get("train_sha256") and state["train_sha256"] != plan["train_sha256"]:
                _say(f"{self.who}: note: train.jsonl changed since that job was created; "
                     f"delete {run_dir / STATE_FILE} to train on the new data")
            return backend.retrieve(state["job_id"])
        if state.get("training_file"):
            job = backend.find_job(state["training_file"])
            if job is not None:
                _say(f"{self.who}: found fine-tuning job {job.id} created on this run's "
                     f"uploaded file; re-attaching to it")
                state.update(job_id=job.id, status=job.status)
                save_state(run_dir, state)
            return job
        return None

    def _start(self, backend: JobBackend, state: dict[str, Any], plan: dict[str, Any],
               run_dir: Path) -> JobInfo:
        validation = (f" and {plural(plan['validation_examples'], 'validation example')}"
                      if plan["validation_file"] else "")
        _say(f"{self.who}: fine-tune {plan['base_model']} on "
             f"{plural(plan['examples'], 'example')}"
             f"{validation}: {plan['estimate_text']}; tokens counted with "
             f"{plan['token_counter']}")
        cost = plan["estimate"]["cost"]
        price = f"about {money(cost)}" if cost is not None else "an unknown amount"
        confirm_spending(f"Start a paid fine-tuning job of {plan['base_model']} ({price})?")
        state.update(trainer=self.plugin_name, base_model=plan["base_model"],
                     train_sha256=plan["train_sha256"], estimate=plan["estimate"])
        if not state.get("training_file"):
            state["training_file"] = backend.upload(Path(plan["train_file"]))
            save_state(run_dir, state)
        if plan["validation_file"] and not state.get("validation_file"):
            state["validation_file"] = backend.upload(Path(plan["validation_file"]))
            save_state(run_dir, state)
        job = backend.create(base_model=self.base_model, training_file=state["training_file"],
                             validation_file=state.get("validation_file"),
                             hyperparameters=self.hyperparameters(), suffix=self.suffix,
                             seed=self.seed)
        state.update(job_id=job.id, status=job.status)
        save_state(run_dir, state)  # before polling: a resumed run re-attaches to this job
        _say(f"{self.who}: created fine-tuning job {job.id}")
        return job

    def _follow(self, backend: JobBackend, job: JobInfo, run_dir: Path) -> JobInfo:
        progress = JobProgress(job.id)
        seen: set[str] = set()
        failures = 0
        with _interrupts_raise():  # also while asking: a second Ctrl-C answers "no"
            try:
                while True:
                    try:
                        for event in backend.events(job.id, seen):
                            seen.add(event.id)
                            progress.event(event)
                    except TransientModelError as exc:
                        progress.say(f"job {job.id}: could not read events ({exc}); "
                                     "trying again")
                    progress.status(job)
                    if job.done:
                        return job
                    sleep(self.poll_interval)
                    try:
                        job = backend.retrieve(job.id)
                        failures = 0
                    except TransientModelError as exc:
                        failures += 1
                        if failures >= MAX_POLL_FAILURES:
                            raise FineTuneError(f"{self.who}: gave up checking job {job.id} "
                                                f"after {failures} failures: {exc}; resume the "
                                                f"run to re-attach") from None
                        progress.say(f"job {job.id}: status check failed ({exc}); trying again")
            except KeyboardInterrupt:
                progress.close()
                self._interrupted(backend, job, run_dir)
                raise
            finally:
                progress.close()

    def _interrupted(self, backend: JobBackend, job: JobInfo, run_dir: Path) -> None:
        if job.done:
            return
        resume = f"`distil run --resume {run_dir}` re-attaches to it"
        if not is_interactive():
            _say(f"{self.who}: fine-tuning job {job.id} keeps running (no terminal to ask "
                 f"whether to cancel it); {resume}")
            return
        import click

        try:
            cancel = click.confirm(
                f"Cancel fine-tuning job {job.id}? Training done so far is billed, and a "
                "cancelled job cannot be resumed", default=False, err=True)
        except click.Abort:
            cancel = False
        if cancel:
            backend.cancel(job.id)
            _say(f"{self.who}: cancelled fine-tuning job {job.id}")
        else:
            _say(f"{self.who}: fine-tuning job {job.id} keeps running; {resume}")

    def _finish(self, backend: JobBackend, job: JobInfo, state: dict[str, Any],
                run_dir: Path) -> dict[str, Any]:
        state.update(job_id=job.id, status=job.status, fine_tuned_model=job.fine_tuned_model,
                     error=job.error, trained_tokens=job.trained_tokens)
        if job.status != "succeeded":
            save_state(run_dir, state)
            reason = job.error or "no reason given"
            what = "was cancelled" if job.status == "cancelled" else f"failed: {reason}"
            raise FineTuneError(f"{self.who}: fine-tuning job {job.id} {what} (delete "
                                f"{run_dir / STATE_FILE} to start a new job)")
        if not job.fine_tuned_model:
            raise FineTuneError(f"{self.who}: job {job.id} succeeded without a model id")
        try:
            checkpoints = backend.checkpoints(job.id)
        except TransientModelError:
            checkpoints = []
        for c in checkpoints:
            metrics = c.get("metrics") or {}
            loss = metrics.get("train_loss")
            loss_text = f", train loss {loss:.4f}" if isinstance(loss, (int, float)) else ""
            _say(f"{self.who}: checkpoint at step {c.get('step_number')}: "
                 f"{c.get('fine_tuned_model_checkpoint')}{loss_text}")
        spec = backend.model_spec(job.fine_tuned_model)
        state.update(checkpoints=checkpoints, model_spec=spec)
        save_state(run_dir, state)
        _say(f"{self.who}: fine-tuned model {job.fine_tuned_model}")
        return spec


def _require_valid(report: Report) -> None:
    if report.valid:
        return
    shown = [p.render(report.path) for p in report.errors[:3]]
    more = len(report.errors) - len(shown)
    tail = f" (and {more} more)" if more else ""
    raise UsageError(f"{report.path} is not a valid fine-tuning file: {'; '.join(shown)}{tail}; "
                     f"see `distil dataset validate {report.path}`")


def load_state(run_dir: Path) -> dict[str, Any]:
    path = run_dir / STATE_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise UsageError(f"{path} is not valid JSON; fix or delete it") from None
    return data if isinstance(data, dict) else {}


def save_state(run_dir: Path, state: dict[str, Any]) -> None:
    path = run_dir / STATE_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


@contextlib.contextmanager
def _interrupts_raise() -> Iterator[None]:
    """Make Ctrl-C raise KeyboardInterrupt while this synchronous loop runs.

    Inside `asyncio.run`, the first Ctrl-C only cancels the main task, which a loop that never
    awaits would not notice until the job ended; Python's default handler raises at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
