"""Progress of long stages, on stderr: a bar on a terminal, a line at a steady pace elsewhere.

Besides done/total and the elapsed time, progress shows how the documents ended (accepted,
failed, ...), what they cost so far and the rate in documents per minute: the figures that tell
someone watching a paid run whether to let it go on.

Without a terminal (CI, `| tee log`, a job scheduler) a bar would draw nothing until the end,
so a stage prints one plain line every LINE_INTERVAL seconds instead, and one when it ends:

    generate: 640/900 docs  accepted 452  failed 21  rejected 167  $0.0906  533 docs/min  1m12s

A timer thread prints the lines, so a stage that is waiting on slow requests still reports.
`--progress` (enabled=True) draws the bar whatever stderr is; `--no-progress` (enabled=False)
prints nothing at all.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

LINE_INTERVAL = 30.0  # seconds between progress lines when stderr is not a terminal

Clock = Callable[[], float]


class StageProgress:
    """Counts what finished; `status()` is the text after the bar."""

    def __init__(self, progress: Progress | None, task_id: int | None,
                 counts: Iterable[str] = (), unit: str = "docs",
                 clock: Clock = time.monotonic) -> None:
        self._progress = progress
        self._task = task_id
        self.unit = unit
        self.counts: dict[str, int] = dict.fromkeys(counts, 0)  # shown even while 0
        self.done = 0
        self.cost: float | None = None  # None until something reports a cost
        self._clock = clock
        self._started = clock()

    def advance(self, cost: float | None = None, **counts: int) -> None:
        """One more item finished; `counts` say how (`accepted=1`), `cost` what it cost."""
        self.done += 1
        for k, v in counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        if cost is not None:
            self.cost = (self.cost or 0.0) + cost
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, status=self.status())

    def status(self, now: float | None = None) -> str:
        parts = [f"{k} {v}" for k, v in self.counts.items()]
        if self.cost is not None:
            parts.append(f"${self.cost:.4f}")
        minutes = ((now if now is not None else self._clock()) - self._started) / 60
        if self.done and minutes > 0:
            parts.append(f"{self.done / minutes:,.0f} {self.unit}/min")
        return "  ".join(parts)


class ProgressLines:
    """Plain progress lines for a stderr that is not a terminal.

    `tick()` prints a line when `interval` seconds of `clock` have passed since the last one;
    a daemon thread calls it (`start`/`stop`), and `stop` prints the stage's final line. Tests
    drive `tick` with a fake clock.
    """

    def __init__(self, title: str, total: int, bar: StageProgress, *, stream: TextIO,
                 interval: float = LINE_INTERVAL, clock: Clock = time.monotonic) -> None:
        self.title = title
        self.total = total
        self.bar = bar
        self.stream = stream
        self.interval = interval
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def line(self, now: float | None = None) -> str:
        now = self._clock() if now is None else now
        status = self.bar.status(now)
        head = f"{self.title}: {self.bar.done}/{self.total} {self.bar.unit}"
        return "  ".join(p for p in (head, status, _elapsed(now - self.bar._started)) if p)

    def tick(self) -> bool:
        """Print a line if one is due; True when it printed."""
        with self._lock:
            now = self._clock()
            if now - self._last < self.interval:
                return False
            self._last = now
            self._print(now)
            return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="distil-progress", daemon=True)
        self._thread.start()

    def stop(self, *, final: bool = True) -> None:
        """Stop the timer; with `final`, print the line that closes the stage."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        if final:
            with self._lock:
                self._print(self._clock())

    def _run(self) -> None:
        # wake at least once a second so a short interval (or a fast fake clock) is honoured
        while not self._stopped.wait(min(self.interval, 1.0)):
            self.tick()

    def _print(self, now: float) -> None:
        try:
            print(self.line(now), file=self.stream, flush=True)
        except (OSError, ValueError):  # a closed pipe must not stop the run
            pass


def _elapsed(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@contextmanager
def stage_progress(title: str, total: int, enabled: bool | None = None,
                   counts: Iterable[str] = (), unit: str = "docs", *,
                   stream: TextIO | None = None, interval: float = LINE_INTERVAL,
                   clock: Clock = time.monotonic) -> Iterator[StageProgress]:
    """Progress for one stage of `total` items.

    `enabled` None (the default): a bar when stderr is a terminal, else a line every
    `interval` seconds and one at the end. True (`--progress`): the bar, whatever stderr is.
    False (`--no-progress`): nothing.
    """
    stream = stream if stream is not None else sys.stderr
    console = Console(file=stream)
    if enabled is False:
        yield StageProgress(None, None, counts, unit, clock)
        return
    if enabled is None and not console.is_terminal:
        bar = StageProgress(None, None, counts, unit, clock)
        lines = ProgressLines(title, total, bar, stream=stream, interval=interval, clock=clock)
        lines.start()
        finished = False
        try:
            yield bar
            finished = True
        finally:
            lines.stop(final=finished)
        return
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[status]}"),
                  console=console, transient=False) as progress:
        task = progress.add_task(title, total=total, status="")
        yield StageProgress(progress, task, counts, unit, clock)
