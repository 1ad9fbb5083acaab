"""Progress without a terminal: one plain line at a steady pace, and one when the stage ends.
Driven by a fake clock, never by sleeping."""

from __future__ import annotations

import io

import pytest

from distil.engine.progress import LINE_INTERVAL, ProgressLines, StageProgress, stage_progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines_of(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_line_every_interval_with_done_total_counts_cost_and_rate():
    clock, out = FakeClock(), io.StringIO()
    bar = StageProgress(None, None, counts=("accepted", "failed"), clock=clock)
    lines = ProgressLines("generate", 900, bar, stream=out, interval=30, clock=clock)
    assert lines.tick() is False and out.getvalue() == ""  # nothing is due yet
    for _ in range(10):
        bar.advance(cost=0.01, accepted=1)
    clock.now += 29.9
    assert lines.tick() is False
    clock.now += 0.1  # 30 s in: 10 documents in half a minute
    assert lines.tick() is True
    assert lines_of(out) == [
        "generate: 10/900 docs  accepted 10  failed 0  $0.1000  20 docs/min  30s"]
    assert lines.tick() is False  # the next is 30 s later, not on every call
    bar.advance(failed=1)
    clock.now += 45
    assert lines.tick() is True
    assert lines_of(out)[-1] == "generate: 11/900 docs  accepted 10  failed 1  $0.1000  " \
                                "9 docs/min  1m15s"


def test_the_stage_end_prints_a_last_line_and_stops_the_timer():
    clock, out = FakeClock(), io.StringIO()
    bar = StageProgress(None, None, counts=("passed", "failed"), unit="requests", clock=clock)
    lines = ProgressLines("evaluate", 2, bar, stream=out, interval=30, clock=clock)
    lines.start()
    bar.advance(passed=1)
    bar.advance(failed=1)
    clock.now += 3
    lines.stop()
    assert lines_of(out)[-1] == "evaluate: 2/2 requests  passed 1  failed 1  40 requests/min  3s"
    assert lines._thread is not None and not lines._thread.is_alive()


def test_stage_progress_prints_lines_when_stderr_is_not_a_terminal():
    clock, out = FakeClock(), io.StringIO()  # a StringIO is no terminal, as a pipe is not
    with stage_progress("generate", 3, None, counts=("accepted",), stream=out,
                        interval=10**9, clock=clock) as bar:  # only the closing line
        for _ in range(3):
            bar.advance(accepted=1)
        clock.now += 60
    assert lines_of(out) == ["generate: 3/3 docs  accepted 3  3 docs/min  1m00s"]
    assert LINE_INTERVAL == 30  # the documented default


def test_progress_forced_draws_the_bar_even_without_a_terminal():
    out = io.StringIO()
    with stage_progress("generate", 2, True, counts=("accepted",), stream=out) as bar:
        bar.advance(accepted=1)
        bar.advance(accepted=1)
    assert "generate ━" in out.getvalue() and "generate: " not in out.getvalue()


def test_no_progress_prints_nothing_and_a_failed_stage_no_last_line():
    out = io.StringIO()
    with stage_progress("generate", 3, False, stream=out) as bar:
        bar.advance(accepted=1)
    assert out.getvalue() == ""
    with pytest.raises(RuntimeError), stage_progress("generate", 3, None, stream=out):
        raise RuntimeError("the stage failed")
    assert out.getvalue() == ""  # the error says what happened; no "done" line after it


class Waits:
    """Stands in for the timer's Event: each wait lets `seconds` pass on the fake clock."""

    def __init__(self, clock: FakeClock, seconds: float, times: int) -> None:
        self.clock, self.seconds, self.left = clock, seconds, times

    def wait(self, timeout: float) -> bool:
        self.clock.now += self.seconds
        self.left -= 1
        return self.left < 0  # True: stopped


def test_the_timer_loop_prints_at_the_interval_even_when_nothing_finishes():
    clock, out = FakeClock(), io.StringIO()
    bar = StageProgress(None, None, counts=("accepted",), clock=clock)
    lines = ProgressLines("generate", 5, bar, stream=out, interval=30, clock=clock)
    lines._stopped = Waits(clock, 10, 9)  # nine waits of 10 s: 90 s with no document done
    lines._run()
    assert lines_of(out) == ["generate: 0/5 docs  accepted 0  30s",
                             "generate: 0/5 docs  accepted 0  1m00s",
                             "generate: 0/5 docs  accepted 0  1m30s"]
