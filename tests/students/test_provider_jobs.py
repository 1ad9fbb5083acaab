"""`distil.engine.jobs`: a long provider job recorded before it is polled, re-attached on
resume, polled with a sleep that leaves the loop free, and left running with a resume hint on
Ctrl-C. The provider here is a script; the trainers' tests drive the same code over HTTP."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from distil.engine.jobs import JobLedger, JobLost, JobState, follow
from distil.engine.store import RunStore
from distil.errors import TransientModelError
from tests.students.runs import run_store


class Provider:
    """A job that is done after `polls` status checks; `faults` fail the first checks."""

    def __init__(self, polls: int = 3, faults: int = 0, final: str = "succeeded") -> None:
        self.polls, self.faults, self.final = polls, faults, final
        self.submitted: list[str] = []
        self.checked: list[str] = []

    async def submit(self) -> str:
        job_id = f"job-{len(self.submitted) + 1}"
        self.submitted.append(job_id)
        return job_id

    async def poll(self, job_id: str) -> JobState:
        await asyncio.sleep(0)  # a real status check waits on the network
        self.checked.append(job_id)
        if self.faults:
            self.faults -= 1
            raise TransientModelError("HTTP 503: busy")
        done = len(self.checked) >= self.polls
        status = self.final if done else "running"
        return JobState(job_id, status, done, failed=done and status != "succeeded")


def ledger_in(run_dir: Path) -> JobLedger:
    return JobLedger(run_store(run_dir), run_dir)


def run_follow(ledger: JobLedger, provider: Provider, said: list[str], **kw) -> JobState:
    sleeps: list[float] = kw.pop("sleeps", [])

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return asyncio.run(follow(ledger, "k", submit=provider.submit, poll=provider.poll,
                              interval=kw.pop("interval", 7.0), describe="test job",
                              say=said.append, sleep=kw.pop("sleep", fake_sleep), **kw))


def test_the_id_is_committed_before_the_first_poll(tmp_path):
    ledger = ledger_in(tmp_path)
    provider, said, sleeps = Provider(polls=3), [], []
    seen_by_another_connection: list[dict] = []
    poll = provider.poll

    async def checking_poll(job_id: str) -> JobState:
        other = RunStore.open(tmp_path / "store.sqlite")  # what a killed run leaves behind
        seen_by_another_connection.append(other.get_meta("jobs"))
        other.close()
        return await poll(job_id)

    provider.poll = checking_poll  # type: ignore[method-assign]
    state = run_follow(ledger, provider, said, sleeps=sleeps)
    assert provider.submitted == ["job-1"] and provider.checked == ["job-1"] * 3
    assert seen_by_another_connection[0] == {"k": {"id": "job-1", "status": "submitted"}}
    assert sleeps == [7.0, 7.0]  # between the three checks, none after the last
    assert state.status == "succeeded" and ledger.find("k")["status"] == "succeeded"


def test_a_resumed_run_reattaches_and_submits_nothing(tmp_path):
    ledger_in(tmp_path).record("k", "job-7", note="from the first run")
    provider, said = Provider(polls=1), []
    state = run_follow(ledger_in(tmp_path), provider, said)
    assert provider.submitted == [] and provider.checked == ["job-7"] and state.id == "job-7"
    assert said == ["re-attaching to test job job-7 (recorded in this run); nothing new is "
                    "submitted"]
    assert ledger_in(tmp_path).find("k") == {"id": "job-7", "status": "succeeded",
                                             "note": "from the first run"}


def test_a_failed_job_is_returned_for_the_caller_to_explain(tmp_path):
    state = run_follow(ledger_in(tmp_path), Provider(polls=2, final="failed"), [])
    assert state.failed and state.done and ledger_in(tmp_path).find("k")["status"] == "failed"


def test_a_status_check_that_fails_for_a_moment_is_tried_again(tmp_path):
    provider, said = Provider(polls=3, faults=2), []
    assert run_follow(ledger_in(tmp_path), provider, said).status == "succeeded"
    assert said == ["test job job-1: status check failed (HTTP 503: busy); trying again"] * 2


def test_status_checks_that_keep_failing_give_up_with_the_resume_hint(tmp_path):
    with pytest.raises(JobLost) as caught:
        run_follow(ledger_in(tmp_path), Provider(faults=99), [], max_failures=3)
    assert "after 3 failed status checks" in str(caught.value)
    assert f"`distil run --resume {tmp_path}` re-attaches" in str(caught.value)
    assert ledger_in(tmp_path).find("k")["status"] == "submitted"  # still its job


def test_cancelled_while_waiting_the_job_keeps_running_and_the_user_is_told(tmp_path):
    provider, said = Provider(polls=99), []

    async def scenario() -> float:
        polled = asyncio.Event()
        poll = provider.poll
        polled_at: list[float] = []

        async def signalling_poll(job_id: str) -> JobState:
            state = await poll(job_id)
            polled_at.append(time.monotonic())
            polled.set()
            return state

        task = asyncio.create_task(follow(
            ledger_in(tmp_path), "k", submit=provider.submit, poll=signalling_poll,
            interval=20, describe="test job", say=said.append))  # the real asyncio.sleep
        await polled.wait()  # this coroutine runs while follow waits for the next check
        late = time.monotonic() - polled_at[0]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return late

    assert asyncio.run(scenario()) < 5  # not the 20 s interval: the wait left the loop free
    assert said == [f"test job job-1 keeps running at the provider; `distil run --resume "
                    f"{tmp_path}` re-attaches"]
    assert provider.checked == ["job-1"]


def test_keyboard_interrupt_gets_the_hint_and_a_cancel_hook_can_stop_the_job(tmp_path):
    async def ctrl_c(seconds: float) -> None:
        raise KeyboardInterrupt

    said: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        run_follow(ledger_in(tmp_path), Provider(polls=99), said, sleep=ctrl_c)
    assert said == [f"test job job-1 keeps running at the provider; `distil run --resume "
                    f"{tmp_path}` re-attaches"]

    cancelled: list[str] = []

    async def cancel(job_id: str) -> bool:
        cancelled.append(job_id)
        return True

    said.clear()
    with pytest.raises(KeyboardInterrupt):
        run_follow(ledger_in(tmp_path / "other"), Provider(polls=99), said, sleep=ctrl_c,
                   cancel=cancel)
    assert cancelled == ["job-1"] and said == []
