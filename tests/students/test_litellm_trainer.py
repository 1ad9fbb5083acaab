"""The `litellm` trainer, driven through litellm's files and fine-tuning functions against the
loopback server (litellm's `openai` route; Azure and Vertex AI use the same functions)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from distil_builtin.trainers.jobs import FineTuneAccessError, FineTuneError
from distil_builtin.trainers.litellm_ft import LiteLLMJobs, LiteLLMTrainer
from tests.students.runs import training_run

EXAMPLE = {"messages": [{"role": "user", "content": "hello"},
                        {"role": "assistant", "content": "hello"}]}


def trainer(url: str, **options) -> LiteLLMTrainer:
    t = LiteLLMTrainer(base_model="gpt-4o-mini-2024-07-18", custom_llm_provider="openai",
                       api_base=url, api_key_env="LOOPBACK_KEY", poll_interval=0.01, **options)
    type(t).plugin_name = "litellm"
    return t


def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(EXAMPLE) + "\n" for _ in range(10)), encoding="utf-8")
    return path


def test_trains_through_litellm_and_returns_a_litellm_student(tmp_path, openai_jobs_server,
                                                              monkeypatch):
    monkeypatch.setenv("LOOPBACK_KEY", "sk-loopback-secret")
    jobs = openai_jobs_server.jobs
    t = trainer(openai_jobs_server.url, suffix="lt", seed=7, learning_rate_multiplier=0.5)
    run = training_run(tmp_path / "run")
    spec = asyncio.run(t.train(t.prepare(dataset(tmp_path), None), run))
    (job,) = jobs.created_jobs
    assert job.status == "succeeded" and job.suffix == "lt" and job.seed == 7
    assert job.hyperparameters == {"learning_rate_multiplier": 0.5}
    assert jobs.files[job.training_file].data == dataset(tmp_path).read_bytes()
    assert spec == {"litellm": {"model": f"openai/{job.fine_tuned_model}",
                                "base_url": openai_jobs_server.url,
                                "api_key_env": "LOOPBACK_KEY"}}
    uploads = [r for r in openai_jobs_server.requests if r.path == "/v1/files"]
    assert uploads[0].headers["authorization"] == "Bearer sk-loopback-secret"
    state = (tmp_path / "run" / "student.json").read_text()
    assert "sk-loopback-secret" not in state and job.id in state
    ledger = json.dumps(run.jobs.entries())
    assert "sk-loopback-secret" not in ledger and job.id in ledger


def test_access_refusal_through_litellm_reads_clearly(tmp_path, openai_jobs_server,
                                                      monkeypatch):
    monkeypatch.setenv("LOOPBACK_KEY", "sk-loopback")
    openai_jobs_server.jobs.refuse_access(403, "Fine-tuning is not available to this account.")
    t = trainer(openai_jobs_server.url)
    with pytest.raises(FineTuneAccessError) as caught:
        asyncio.run(t.train(t.prepare(dataset(tmp_path), None), training_run(tmp_path / "run")))
    assert "\n" not in str(caught.value)
    assert "fine-tuning refused (HTTP 403" in str(caught.value)


def test_vertex_jobs_cannot_be_followed_and_the_message_says_what_to_do():
    t = LiteLLMTrainer(custom_llm_provider="vertex_ai", base_model="gemini-2.0-flash-001")
    type(t).plugin_name = "litellm"
    backend = LiteLLMJobs(object(), t, None)
    with pytest.raises(FineTuneError, match="litellm cannot retrieve vertex_ai fine-tuning "
                                            "jobs; follow job j1 in the provider's console"):
        backend.retrieve("j1")
    assert backend.find_job("file-1") is None


def test_student_model_names_the_azure_deployment():
    t = LiteLLMTrainer(custom_llm_provider="azure", api_version="2025-04-01-preview",
                       student_model="azure/my-ft-deployment")
    spec = LiteLLMJobs(object(), t, None).model_spec("gpt-4o-mini-2024-07-18.ft-abc")
    assert spec == {"litellm": {"model": "azure/my-ft-deployment",
                                "params": {"api_version": "2025-04-01-preview"}}}
