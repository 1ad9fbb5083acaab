"""The `litellm` trainer: fine-tuning on Azure OpenAI or Vertex AI through litellm.

litellm speaks each provider's files and fine-tuning API behind one set of functions
(`create_file`, `create_fine_tuning_job`, `retrieve_fine_tuning_job`,
`cancel_fine_tuning_job`, `list_fine_tuning_jobs`), chosen by `custom_llm_provider`:
`azure`, `vertex_ai`, or `openai` (any OpenAI-compatible server at `api_base`, which is how
the test suite drives it). Credentials come from the provider's usual environment variables
(AZURE_API_KEY, AZURE_API_BASE, AZURE_API_VERSION; VERTEXAI_PROJECT, VERTEXAI_LOCATION,
GOOGLE_APPLICATION_CREDENTIALS) unless the options name them.

The trainer calls litellm's synchronous functions, each in a worker thread (the shared flow,
`distil_builtin.trainers.fine_tune`, keeps the run's event loop free). What litellm does not
offer, this trainer cannot show:
- no event log: progress is the job's status and trained tokens, not per-step losses;
- no checkpoints list;
- litellm cannot retrieve Vertex AI tuning jobs: with `vertex_ai` the job is created and its
  id saved, then the run stops and says where to follow it and how to evaluate the result.

Azure serves a fine-tuned model only once it is deployed; name the deployment with
`student_model: azure/<deployment>` so the evaluate stage can call it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import ConfigDict, Field, field_validator

from distil.errors import UsageError
from distil.secrets import check_env_name, read_key
from distil_builtin.models.litellm_api import load_litellm
from distil_builtin.trainers.fine_tune import FineTuneTrainer
from distil_builtin.trainers.jobs import FineTuneError, JobBackend, JobInfo
from distil_builtin.trainers.openai_ft import api_error, job_info
from distil_builtin.trainers.openai_prices import DEFAULT_BASE_MODEL

T = TypeVar("T")
Provider = Literal["azure", "vertex_ai", "openai"]
FOLLOWS = ("azure", "openai")  # providers litellm can retrieve, list and cancel jobs on


class LiteLLMTrainer(FineTuneTrainer):
    """Fine-tune on Azure OpenAI or Vertex AI (or an OpenAI-compatible API) through litellm."""

    model_config = ConfigDict(hide_input_in_errors=True)

    base_model: str = Field(default=DEFAULT_BASE_MODEL,
                            description="The model to fine-tune (Azure: e.g. "
                                        "gpt-4.1-mini-2025-04-14; Vertex AI: e.g. "
                                        "gemini-2.0-flash-001).")
    custom_llm_provider: Provider = Field(
        default="azure", description="`azure`, `vertex_ai`, or `openai` (any OpenAI-compatible "
                                     "fine-tuning API at api_base).")
    api_base: str | None = Field(default=None, description="Endpoint (Azure: "
                                 "https://RESOURCE.openai.azure.com; default from the "
                                 "environment).")
    api_version: str | None = Field(default=None, description="Azure API version.")
    api_key_env: str | None = Field(default=None, description="Environment variable holding "
                                    "the key (default: the provider's own, e.g. AZURE_API_KEY).")
    vertex_project: str | None = Field(default=None, description="Google Cloud project.")
    vertex_location: str | None = Field(default=None, description="Vertex AI region.")
    timeout: float = Field(default=120.0, gt=0, description="Seconds to wait for one request.")
    student_model: str | None = Field(
        default=None, description="litellm model string the evaluate stage calls; `{model}` is "
                                  "the fine-tuned model id. Default `<provider>/{model}`.")

    @field_validator("api_key_env")
    @classmethod
    def _names_a_variable(cls, value: str | None) -> str | None:
        return check_env_name(value)

    def backend(self) -> JobBackend:
        key = read_key(self.api_key_env, self.who, none_hint=False)
        return LiteLLMJobs(load_litellm("the litellm trainer"), self, key)


class LiteLLMJobs(JobBackend):
    def __init__(self, litellm: Any, trainer: LiteLLMTrainer, key: str | None) -> None:
        self.litellm = litellm
        self.trainer = trainer
        self.key = key
        self.who = trainer.who
        self.provider = trainer.custom_llm_provider

    def _kwargs(self) -> dict[str, Any]:
        t = self.trainer
        values = {"custom_llm_provider": self.provider, "api_base": t.api_base,
                  "api_version": t.api_version, "api_key": self.key,
                  "vertex_project": t.vertex_project, "vertex_location": t.vertex_location,
                  "timeout": t.timeout}
        return {k: v for k, v in values.items() if v is not None}

    def _call(self, fn: Callable[[], T], *, job_id: str | None = None,
              fine_tuning: bool = True) -> T:
        try:
            return fn()
        except (UsageError, FineTuneError):
            raise
        except Exception as exc:
            raise api_error(exc, self.who, self.trainer.timeout, self.key, job_id=job_id,
                            fine_tuning=fine_tuning) from None

    def _need_follow(self, what: str, job_id: str | None = None) -> None:
        if self.provider not in FOLLOWS:
            where = f" job {job_id}" if job_id else ""
            raise FineTuneError(
                f"{self.who}: litellm cannot {what} {self.provider} fine-tuning jobs; follow"
                f"{where} in the provider's console, and when it has finished evaluate the "
                f"tuned model by listing it under evaluate.models (e.g. "
                f"`litellm/vertex_ai/<endpoint id>`)")

    def upload(self, path: Path) -> str:
        with path.open("rb") as f:
            created = self._call(lambda: self.litellm.create_file(
                file=f, purpose="fine-tune", **self._kwargs()), fine_tuning=False)
        return created.id

    def create(self, *, base_model: str, training_file: str, validation_file: str | None,
               hyperparameters: dict[str, Any], suffix: str | None,
               seed: int | None) -> JobInfo:
        kwargs = self._kwargs()
        if validation_file:
            kwargs["validation_file"] = validation_file
        if suffix:
            kwargs["suffix"] = suffix
        if seed is not None:
            kwargs["seed"] = seed
        job = self._call(lambda: self.litellm.create_fine_tuning_job(
            model=base_model, training_file=training_file,
            hyperparameters=dict(hyperparameters), **kwargs))
        return job_info(job)

    def retrieve(self, job_id: str) -> JobInfo:
        self._need_follow("retrieve", job_id)
        return job_info(self._call(lambda: self.litellm.retrieve_fine_tuning_job(
            fine_tuning_job_id=job_id, **self._kwargs()), job_id=job_id))

    def cancel(self, job_id: str) -> JobInfo:
        self._need_follow("cancel", job_id)
        return job_info(self._call(lambda: self.litellm.cancel_fine_tuning_job(
            fine_tuning_job_id=job_id, **self._kwargs()), job_id=job_id))

    def find_job(self, training_file: str) -> JobInfo | None:
        if self.provider not in FOLLOWS:
            return None
        page = self._call(lambda: self.litellm.list_fine_tuning_jobs(limit=100,
                                                                     **self._kwargs()))
        for job in getattr(page, "data", None) or []:
            info = job_info(job)
            if info.training_file == training_file and info.status != "cancelled":
                return info
        return None

    def model_spec(self, fine_tuned_model: str) -> dict[str, Any]:
        template = self.trainer.student_model or f"{self.provider}/{{model}}"
        params: dict[str, Any] = {"model": template.replace("{model}", fine_tuned_model)}
        if self.trainer.api_base:
            params["base_url"] = self.trainer.api_base
        if self.trainer.api_key_env:
            params["api_key_env"] = self.trainer.api_key_env
        if self.trainer.api_version:
            params["params"] = {"api_version": self.trainer.api_version}
        return {"litellm": params}
