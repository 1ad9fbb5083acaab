"""The `openai` trainer: OpenAI's fine-tuning API through the official SDK.

Files go up with `files.create` (purpose `fine-tune`); the job is `fine_tuning.jobs.create`
with supervised hyperparameters (n_epochs, batch_size, learning_rate_multiplier), a suffix, a
seed and the validation file; progress comes from `jobs.list_events` and the result's
checkpoints from `jobs.checkpoints.list`. Any OpenAI-compatible server that implements these
endpoints works through `base_url` (the test suite's loopback server does).

The SDK's own retries are off: a retried `jobs.create` could start a second paid job. Status
checks that fail for a moment are retried by the polling loop instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ConfigDict, Field, field_validator

from distil.errors import TransientModelError, UsageError
from distil.secrets import check_env_name, read_key
from distil_builtin.models.failures import to_model_error
from distil_builtin.trainers.fine_tune import FineTuneTrainer
from distil_builtin.trainers.jobs import (
    FineTuneError,
    JobBackend,
    JobEvent,
    JobInfo,
    access_error,
    is_access_refusal,
)
from distil_builtin.trainers.openai_prices import DEFAULT_BASE_MODEL

T = TypeVar("T")
NO_KEY = "not-needed"
MAX_EVENT_PAGES = 10


class OpenAITrainer(FineTuneTrainer):
    """Fine-tune on OpenAI (or an OpenAI-compatible fine-tuning API at `base_url`)."""

    model_config = ConfigDict(hide_input_in_errors=True)

    base_model: str = Field(default=DEFAULT_BASE_MODEL,
                            description="The model to fine-tune, e.g. gpt-4.1-mini-2025-04-14.")
    base_url: str | None = Field(default=None, description="API base URL (default: OpenAI's).")
    api_key_env: str | None = Field(
        default="OPENAI_API_KEY",
        description="Environment variable holding the API key (null: send no real key).")
    organization: str | None = Field(default=None, description="OpenAI organization id.")
    timeout: float = Field(default=120.0, gt=0, description="Seconds to wait for one request.")

    @field_validator("api_key_env")
    @classmethod
    def _names_a_variable(cls, value: str | None) -> str | None:
        return check_env_name(value)

    def backend(self) -> JobBackend:
        key = read_key(self.api_key_env, self.who)
        try:
            from openai import OpenAI
        except ImportError:
            raise UsageError("the openai trainer needs the openai package: "
                             "pip install 'openai>=1.40'") from None
        client = OpenAI(api_key=key or NO_KEY, base_url=self.base_url,
                        organization=self.organization, timeout=self.timeout, max_retries=0)
        return OpenAIJobs(client, self, key)


class OpenAIJobs(JobBackend):
    def __init__(self, client: Any, trainer: OpenAITrainer, key: str | None) -> None:
        self.client = client
        self.trainer = trainer
        self.key = key
        self.who = trainer.who

    def _call(self, fn: Callable[[], T], *, job_id: str | None = None,
              fine_tuning: bool = True) -> T:
        try:
            return fn()
        except Exception as exc:
            raise api_error(exc, self.who, self.trainer.timeout, self.key, job_id=job_id,
                            fine_tuning=fine_tuning) from None

    def upload(self, path: Path) -> str:
        with path.open("rb") as f:
            uploaded = self._call(lambda: self.client.files.create(file=f, purpose="fine-tune"),
                                  fine_tuning=False)
        return uploaded.id

    def create(self, *, base_model: str, training_file: str, validation_file: str | None,
               hyperparameters: dict[str, Any], suffix: str | None,
               seed: int | None) -> JobInfo:
        kwargs: dict[str, Any] = {"model": base_model, "training_file": training_file,
                                  "method": {"type": "supervised", "supervised": {
                                      "hyperparameters": hyperparameters}}}
        if validation_file:
            kwargs["validation_file"] = validation_file
        if suffix:
            kwargs["suffix"] = suffix
        if seed is not None:
            kwargs["seed"] = seed
        return job_info(self._call(lambda: self.client.fine_tuning.jobs.create(**kwargs)))

    def retrieve(self, job_id: str) -> JobInfo:
        return job_info(self._call(lambda: self.client.fine_tuning.jobs.retrieve(job_id),
                                   job_id=job_id))

    def events(self, job_id: str, seen: set[str]) -> list[JobEvent]:
        """New events, oldest first. The API lists newest first, so read pages back in time
        until an event already shown."""
        fresh: list[JobEvent] = []
        after: str | None = None
        for _ in range(MAX_EVENT_PAGES):
            kwargs: dict[str, Any] = {"limit": 100}
            if after:
                kwargs["after"] = after
            page = self._call(
                lambda kw=kwargs: self.client.fine_tuning.jobs.list_events(job_id, **kw),
                job_id=job_id)
            data = list(page.data)
            reached_seen = False
            for e in data:
                if e.id in seen:
                    reached_seen = True
                    break
                fresh.append(JobEvent(id=e.id, created_at=e.created_at, message=e.message,
                                      level=e.level or "info", type=e.type or "message",
                                      data=dict(e.data) if isinstance(e.data, dict) else {}))
            if reached_seen or not data or not getattr(page, "has_more", False):
                break
            after = data[-1].id
        fresh.reverse()
        return fresh

    def checkpoints(self, job_id: str) -> list[dict[str, Any]]:
        page = self._call(lambda: self.client.fine_tuning.jobs.checkpoints.list(job_id),
                          job_id=job_id)
        found = [c.model_dump(mode="json") for c in page.data]
        return sorted(found, key=lambda c: c.get("step_number") or 0)

    def cancel(self, job_id: str) -> JobInfo:
        return job_info(self._call(lambda: self.client.fine_tuning.jobs.cancel(job_id),
                                   job_id=job_id))

    def find_job(self, training_file: str) -> JobInfo | None:
        page = self._call(lambda: self.client.fine_tuning.jobs.list(limit=100))
        for job in page.data:
            if job.training_file == training_file and job.status != "cancelled":
                return job_info(job)
        return None

    def model_spec(self, fine_tuned_model: str) -> dict[str, Any]:
        params: dict[str, Any] = {"model": fine_tuned_model,
                                  "api_key_env": self.trainer.api_key_env}
        if self.trainer.base_url:
            params["base_url"] = self.trainer.base_url
        if self.trainer.organization:
            params["organization"] = self.trainer.organization
        return {"openai": params}


def api_error(exc: Exception, who: str, timeout: float | None, key: str | None, *,
              job_id: str | None = None, fine_tuning: bool = True) -> Exception:
    """One readable line for a failed API call (openai's and litellm's exceptions alike).

    HTTP 403, or 404 from a fine-tuning endpoint, or a message about access, is the account
    lacking fine-tuning: FineTuneAccessError with what to do instead. A 404 for a known job id
    says the job is not there. Transient failures stay TransientModelError (the polling loop
    retries them); the rest are FineTuneError.
    """
    error = to_model_error(exc, who=who, timeout=timeout, secret=key)
    if error is None:
        return exc
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) and not isinstance(status, bool) else None
    message = str(error).removeprefix(f"{who}: ").removeprefix(f"HTTP {status}: ")
    if job_id is not None and status == 404:
        return FineTuneError(f"{who}: fine-tuning job {job_id} not found (HTTP 404: {message}); "
                             "it may belong to another organisation or key")
    if status == 403 or (fine_tuning and is_access_refusal(status, message)) or (
            status is not None and 400 <= status < 500 and is_access_refusal(None, message)):
        return access_error(who, status, message)
    if isinstance(error, TransientModelError):
        return error
    return FineTuneError(str(error))


def job_info(job: Any) -> JobInfo:
    """JobInfo from an SDK FineTuningJob (or litellm's copy of it)."""
    error = getattr(job, "error", None)
    text = None
    if error:
        message = _get(error, "message")
        code, param = _get(error, "code"), _get(error, "param")
        text = message or str(error)
        if code:
            text += f" ({code}{', ' + str(param) if param else ''})"
    hyper = _get(job, "hyperparameters")
    if hyper is not None and hasattr(hyper, "model_dump"):
        hyper = hyper.model_dump(mode="json")
    return JobInfo(
        id=_get(job, "id"), status=_get(job, "status") or "unknown",
        model=_get(job, "model"), fine_tuned_model=_get(job, "fine_tuned_model"),
        training_file=_get(job, "training_file"), error=text,
        trained_tokens=_get(job, "trained_tokens"),
        hyperparameters=hyper if isinstance(hyper, dict) else {},
    )


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)
