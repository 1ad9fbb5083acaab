"""The `openai` trainer against the loopback server: upload, job, events, checkpoints, the
`ft:` model evaluated as `student`; the job in the run's ledger before it is polled and
re-attached on resume (after Ctrl-C or SIGKILL); an event loop left free; refusals and failures.

Ctrl-C inside `asyncio.run` cancels the running task, so the tests cancel the `train` task, or
send a real SIGINT or SIGKILL to `distil run`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import click
import pytest

from distil.confirm import NotConfirmed
from distil.engine.jobs import JobLedger
from distil.errors import UsageError
from distil_builtin.trainers import fine_tune
from distil_builtin.trainers.jobs import FineTuneAccessError, FineTuneError
from distil_builtin.trainers.openai_ft import OpenAIJobs, OpenAITrainer
from tests.core.clihelp import distil
from tests.students.api_recipes import student_recipe
from tests.students.runs import training_run

BASE = "gpt-4o-mini-2024-07-18"
EXAMPLE = {"messages": [{"role": "system", "content": "Repeat."},
                        {"role": "user", "content": "the council met"},
                        {"role": "assistant", "content": "the council met"}]}


def posts(server, path: str) -> int:
    return sum(1 for r in server.requests if r.method == "POST" and r.path == path)


def dataset(tmp_path: Path, n: int = 12) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(EXAMPLE) + "\n" for _ in range(n)), encoding="utf-8")
    return path


def trainer(server, **options) -> OpenAITrainer:
    options.setdefault("poll_interval", 0.01)
    t = OpenAITrainer(base_model=BASE, base_url=server.url, api_key_env=None, **options)
    type(t).plugin_name = "openai"
    return t


def train(t: OpenAITrainer, plan: dict, run_dir: Path, *, yes: bool = True) -> dict:
    return asyncio.run(t.train(plan, training_run(run_dir, yes=yes)))


def train_until_recorded(t: OpenAITrainer, plan: dict, run_dir: Path, jobs,
                         monkeypatch) -> list[int]:
    """Train until the job is in the ledger, then cancel as Ctrl-C does; returns how many
    times the provider had been asked about the job when its id was recorded."""
    polls_at_record: list[int] = []
    record = JobLedger.record

    async def interrupted() -> None:
        recorded = asyncio.Event()

        def watch(ledger, key, job_id, **info):
            polls_at_record.append(jobs.jobs[job_id].retrieves)
            entry = record(ledger, key, job_id, **info)
            recorded.set()
            return entry

        monkeypatch.setattr(JobLedger, "record", watch)
        task = asyncio.create_task(t.train(plan, training_run(run_dir)))
        await recorded.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupted())
    monkeypatch.setattr(JobLedger, "record", record)
    return polls_at_record


def test_recipe_uploads_trains_polls_and_evaluates_the_ft_model(tmp_path, openai_jobs_server):
    server, jobs = openai_jobs_server, openai_jobs_server.jobs
    recipe = student_recipe(tmp_path, server.url)
    out = distil("run", str(recipe), "--run-dir", str(tmp_path / "run"), "--yes")
    assert out.returncode == 0, out.stderr
    run = tmp_path / "run"

    # one upload per file, byte for byte what export wrote; one job with the options given
    assert posts(server, "/v1/files") == 2 and posts(server, "/v1/fine_tuning/jobs") == 1
    (job,) = jobs.created_jobs
    assert jobs.files[job.training_file].data == (run / "train.jsonl").read_bytes()
    assert jobs.files[job.validation_file].data == (run / "validation.jsonl").read_bytes()
    assert jobs.files[job.training_file].purpose == "fine-tune"
    assert job.model == BASE and job.suffix == "distil" and job.hyperparameters == {"n_epochs": 2}
    assert job.status == "succeeded" and job.fine_tuned_model.startswith(f"ft:{BASE}:")

    # the life of the job, as the user saw it, in order
    err = out.stderr
    order = [f"job {job.id}: validating_files", f"job {job.id}: running",
             "step 1/6: train loss 2.0000, valid loss 2.2000",
             "step 6/6: train loss 0.3333", f"job {job.id}: succeeded",
             "checkpoint at step 3:", f"fine-tuned model {job.fine_tuned_model}"]
    positions = [err.index(line) for line in order]
    assert positions == sorted(positions), err
    assert "billed training tokens" in err and "tiktoken o200k_base" in err

    # the job id was kept in the run directory, and the student is the ft: model
    state = json.loads((run / "student.json").read_text())
    assert state["job_id"] == job.id and state["status"] == "succeeded"
    assert [c["step_number"] for c in state["checkpoints"]] == [3, 6]
    assert "key" not in json.dumps(state).lower().replace("api_key_env", "")
    evaluated = [r for r in server.chat_requests if r.json["model"] == job.fine_tuned_model]
    assert len(evaluated) == 3  # the three test documents, single-shot
    results = json.loads((run / "results.json").read_text())
    assert results["models"]["student"]["model"] == f"openai/{job.fine_tuned_model}"
    assert results["models"]["student"]["metrics"]["pass_rate"]["rate"] == 1.0

    # resuming the finished run re-attaches: no second job, nothing uploaded again
    again = distil("run", "--resume", str(run))
    assert again.returncode == 0, again.stderr
    assert "re-attaching to fine-tuning job " + job.id in again.stderr
    assert posts(server, "/v1/fine_tuning/jobs") == 1 and posts(server, "/v1/files") == 2


def test_the_job_is_recorded_before_its_first_poll_and_resume_reattaches(
        tmp_path, openai_jobs_server, monkeypatch, capsys):
    server, jobs = openai_jobs_server, openai_jobs_server.jobs
    t = trainer(server, poll_interval=3600)  # a cancel can only land in a poll or the wait
    plan = t.prepare(dataset(tmp_path), None)
    run = tmp_path / "run"
    assert train_until_recorded(t, plan, run, jobs, monkeypatch) == [0]
    (job,) = jobs.created_jobs
    assert job.status not in ("cancelled", "succeeded")  # no terminal: never cancelled
    err = capsys.readouterr().err
    assert (f"fine-tuning job {job.id} keeps running at the provider; "
            f"`distil run --resume {run}` re-attaches") in err
    (entry,) = training_run(run).jobs.entries().values()
    assert entry["id"] == job.id and entry["training_file"] == job.training_file
    assert json.loads((run / "student.json").read_text())["job_id"] == job.id

    # the resumed run (another poll interval: the same job) follows it, and pays for no other
    spec = train(trainer(server), plan, run)
    assert posts(server, "/v1/fine_tuning/jobs") == 1 and posts(server, "/v1/files") == 1
    assert job.status == "succeeded" and spec["openai"]["model"] == job.fine_tuned_model
    assert f"re-attaching to fine-tuning job {job.id}" in capsys.readouterr().err


def test_a_killed_run_resumes_on_the_same_job(tmp_path, openai_jobs_server):
    """SIGKILL while polling: nothing runs on the way out, so only what was committed before
    the first poll tells the resumed run which job is its own."""
    import signal
    import subprocess
    import sys

    server, jobs = openai_jobs_server, openai_jobs_server.jobs
    jobs.total_steps = 10_000
    recipe = student_recipe(tmp_path, server.url, name="killed", student={"poll_interval": 0.2})
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "distil", "run", str(recipe), "--run-dir",
                             str(run), "--yes"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (jobs.created_jobs and jobs.created_jobs[0].retrieves >= 1):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)  # another process: nothing to wait on but its effects
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    jobs.total_steps = 6
    again = distil("run", "--resume", str(run))
    assert again.returncode == 0, again.stderr
    (job,) = jobs.created_jobs
    assert posts(server, "/v1/fine_tuning/jobs") == 1 and job.status == "succeeded"
    assert f"re-attaching to fine-tuning job {job.id}" in again.stderr


def test_the_event_loop_is_free_while_the_job_is_followed(tmp_path, openai_jobs_server,
                                                          monkeypatch):
    """While a status check is in flight, and while the trainer waits for the next one, the
    loop runs other work: here a callback the check itself waits for, and the test's own
    coroutine, which must wake as soon as the first poll is over, not after the interval."""
    jobs = openai_jobs_server.jobs
    t = trainer(openai_jobs_server, poll_interval=20)
    plan = t.prepare(dataset(tmp_path), None)
    free_during_check: list[bool] = []
    polled_at: list[float] = []
    retrieve, follow = OpenAIJobs.retrieve, fine_tune.follow

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        polled = asyncio.Event()

        def watched_retrieve(backend, job_id):
            ran = threading.Event()
            loop.call_soon_threadsafe(ran.set)
            free_during_check.append(ran.wait(timeout=10))  # the loop ran it meanwhile
            return retrieve(backend, job_id)

        async def watched_follow(ledger, key, *, poll, **options):
            async def watched_poll(job_id):
                state = await poll(job_id)
                polled_at.append(time.monotonic())
                polled.set()  # the next thing the trainer does is wait for the next poll
                return state
            return await follow(ledger, key, poll=watched_poll, **options)

        monkeypatch.setattr(OpenAIJobs, "retrieve", watched_retrieve)
        monkeypatch.setattr(fine_tune, "follow", watched_follow)
        task = asyncio.create_task(t.train(plan, training_run(tmp_path / "run")))
        await polled.wait()
        woke = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return woke

    woke = asyncio.run(scenario())
    assert free_during_check == [True]
    assert woke - polled_at[0] < 5  # not 20 s: the trainer waits with asyncio.sleep
    assert jobs.created_jobs[0].retrieves == 1


def test_ctrl_c_on_a_terminal_asks_and_cancels_when_told(tmp_path, openai_jobs_server,
                                                         monkeypatch, capsys):
    jobs = openai_jobs_server.jobs
    asked: list[str] = []

    def answer_yes(text, **kwargs):
        asked.append(text)
        return True

    monkeypatch.setattr(fine_tune, "is_interactive", lambda: True)
    monkeypatch.setattr(click, "confirm", answer_yes)
    t = trainer(openai_jobs_server, poll_interval=3600)
    plan = t.prepare(dataset(tmp_path), None)
    train_until_recorded(t, plan, tmp_path / "run", jobs, monkeypatch)
    (job,) = jobs.created_jobs
    assert asked and job.id in asked[0] and "billed" in asked[0]
    assert job.status == "cancelled"
    err = capsys.readouterr().err
    assert f"cancelled fine-tuning job {job.id}" in err and "keeps running" not in err
    (entry,) = training_run(tmp_path / "run").jobs.entries().values()
    assert entry["status"] == "cancelled"


def test_nothing_is_uploaded_without_confirmation(tmp_path, openai_jobs_server):
    server = openai_jobs_server
    recipe = student_recipe(tmp_path, server.url, name="unconfirmed")
    out = distil("run", str(recipe), "--run-dir", str(tmp_path / "run"))
    assert out.returncode == 2
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error: Start a paid fine-tuning job") and "pass --yes" in last
    assert posts(server, "/v1/files") == 0 and not server.jobs.created_jobs


def test_declining_at_the_terminal_spends_nothing(tmp_path, openai_jobs_server, monkeypatch):
    import distil.confirm as confirm

    monkeypatch.setattr(confirm, "is_interactive", lambda: True)
    monkeypatch.setattr(click, "confirm", lambda *a, **k: False)
    t = trainer(openai_jobs_server)
    with pytest.raises(NotConfirmed, match="declined"):
        train(t, t.prepare(dataset(tmp_path), None), tmp_path / "run", yes=False)
    assert posts(openai_jobs_server, "/v1/files") == 0


def test_access_refusal_reads_as_one_clear_line(tmp_path, openai_jobs_server):
    server = openai_jobs_server
    server.jobs.refuse_access(403, "Your organization does not have access to fine-tuning.")
    recipe = student_recipe(tmp_path, server.url, name="refused")
    out = distil("run", str(recipe), "--run-dir", str(tmp_path / "run"), "--yes")
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in out.stderr
    assert ("fine-tuning refused (HTTP 403: Your organization does not have access to "
            "fine-tuning.)") in errors[0]
    assert "OpenAI is closing fine-tuning to new users" in errors[0]


@pytest.mark.parametrize("status, message", [
    (404, "The model `gpt-4o-mini-2024-07-18` does not exist or you do not have access to it."),
    (400, "This organization does not have access to fine-tuning."),
])
def test_other_access_refusals_are_recognised(tmp_path, openai_jobs_server, status, message):
    openai_jobs_server.jobs.refuse_access(status, message)
    t = trainer(openai_jobs_server)
    with pytest.raises(FineTuneAccessError) as caught:
        train(t, t.prepare(dataset(tmp_path), None), tmp_path / "run")
    text = str(caught.value)
    assert "\n" not in text and f"HTTP {status}: {message}" in text


def test_a_failed_job_shows_the_providers_reason_and_is_not_restarted(tmp_path,
                                                                      openai_jobs_server):
    jobs = openai_jobs_server.jobs
    jobs.fail_next_job("Training file has too few examples.", "invalid_training_file")
    t = trainer(openai_jobs_server)
    plan = t.prepare(dataset(tmp_path), None)
    with pytest.raises(FineTuneError) as caught:
        train(t, plan, tmp_path / "run")
    (job,) = jobs.created_jobs
    assert (f"fine-tuning job {job.id} failed: Training file has too few examples. "
            "(invalid_training_file, training_file)") in str(caught.value)
    assert "to train again, change the data or the trainer's options" in str(caught.value)
    with pytest.raises(FineTuneError, match="too few examples"):
        train(t, plan, tmp_path / "run")  # re-attaches to the failed job; starts no other
    assert len(jobs.created_jobs) == 1
    # other options shape another job: that one is started
    train(trainer(openai_jobs_server, seed=5), plan, tmp_path / "run")
    assert len(jobs.created_jobs) == 2 and jobs.created_jobs[1].status == "succeeded"


def test_a_job_created_before_a_crash_is_found_by_its_training_file(tmp_path,
                                                                    openai_jobs_server):
    """The id of a created job was not saved (killed right after create): no second job."""
    t = trainer(openai_jobs_server)
    plan = t.prepare(dataset(tmp_path), None)
    train(t, plan, tmp_path / "run")
    store = training_run(tmp_path / "run").jobs.store
    entries = store.get_meta("jobs")
    (entry,) = entries.values()
    del entry["id"]  # as if killed between creating the job and recording it
    store.set_meta("jobs", entries)
    spec = train(t, plan, tmp_path / "run")
    assert len(openai_jobs_server.jobs.created_jobs) == 1
    assert spec["openai"]["model"] == openai_jobs_server.jobs.created_jobs[0].fine_tuned_model


def test_prepare_refuses_an_invalid_dataset_before_anything_is_sent(tmp_path,
                                                                    openai_jobs_server):
    t = trainer(openai_jobs_server)
    with pytest.raises(UsageError, match="too_few_examples: 5 examples"):
        t.prepare(dataset(tmp_path, n=5), None)
    assert not openai_jobs_server.requests


def test_plan_carries_the_estimate(tmp_path, openai_jobs_server):
    t = trainer(openai_jobs_server, n_epochs=3)
    plan = t.prepare(dataset(tmp_path), None)
    assert plan["examples"] == 12 and plan["validation_file"] is None
    assert plan["estimate"]["epochs"] == 3 and plan["estimate"]["price_per_million"] == 3.0
    assert plan["estimate"]["cost"] == pytest.approx(plan["estimate"]["billed_tokens"] * 3e-6)
    assert plan["hyperparameters"] == {"n_epochs": 3}


def test_status_checks_that_fail_for_a_moment_are_retried(tmp_path, openai_jobs_server,
                                                          capsys):
    openai_jobs_server.jobs.fail_next_retrieves(503, 502)
    t = trainer(openai_jobs_server)
    spec = train(t, t.prepare(dataset(tmp_path), None), tmp_path / "run")
    assert spec["openai"]["model"].startswith("ft:")
    err = capsys.readouterr().err
    assert err.count("status check failed") == 2 and "HTTP 503" in err


def test_a_real_ctrl_c_stops_following_and_leaves_the_job_running(tmp_path,
                                                                  openai_jobs_server):
    """SIGINT to `distil run` while it polls: asyncio.run cancels the task, the trainer says
    how to resume, and the job is left running."""
    import signal
    import subprocess
    import sys

    server, jobs = openai_jobs_server, openai_jobs_server.jobs
    jobs.total_steps = 10_000
    recipe = student_recipe(tmp_path, server.url, name="sigint", student={"poll_interval": 0.2})
    proc = subprocess.Popen([sys.executable, "-m", "distil", "run", str(recipe), "--run-dir",
                             str(tmp_path / "run"), "--yes"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (jobs.created_jobs and jobs.created_jobs[0].retrieves >= 2):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    (job,) = jobs.created_jobs
    assert job.status == "running"
    assert f"fine-tuning job {job.id} keeps running" in err and "Traceback" not in err
