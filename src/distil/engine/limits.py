"""Per-model request and token rate limits (requests and tokens per minute).

A sliding one-minute window: before a request, wait until both the request count and the
token estimate fit under the limits; after it, replace the estimate with the real usage.

Requests are also spread out, at least 60/rpm seconds apart. Providers enforce a per-minute
limit over shorter periods too (600 requests a minute may be applied as 10 a second), so
sending a whole minute's allowance in its first second would only earn 429s.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence

from distil.types import Message

WINDOW = 60.0


def estimate_tokens(messages: Sequence[Message], max_tokens: int | None,
                    answers: int = 1) -> int:
    """A cheap upper-ish estimate: ~4 characters per token for the prompt, plus the answer cap
    for each of `answers` answers (a request with the API's `n`)."""
    prompt = sum(len(m.content) for m in messages) // 4 + 4 * len(messages)
    return prompt + (max_tokens or 256) * answers


class RateLimiter:
    def __init__(self, rpm: int | None, tpm: int | None) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.interval = WINDOW / rpm if rpm else 0.0  # least time between two requests
        self._next = 0.0  # monotonic time before which no request may start
        self._events: deque[list[float]] = deque()  # [time, tokens]
        self._lock = asyncio.Lock()

    def _prune(self, now: float) -> None:
        while self._events and now - self._events[0][0] >= WINDOW:
            self._events.popleft()

    async def acquire(self, tokens: int) -> list[float]:
        """Wait for room; return the window entry so `settle` can correct its token count."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._next:
                    await asyncio.sleep(self._next - now)
                    continue
                self._prune(now)
                used = sum(e[1] for e in self._events)
                fits_requests = self.rpm is None or len(self._events) < self.rpm
                fits_tokens = self.tpm is None or used + tokens <= self.tpm or not self._events
                if fits_requests and fits_tokens:
                    entry = [now, float(tokens)]
                    self._events.append(entry)
                    self._next = now + self.interval
                    return entry
                await asyncio.sleep(max(0.01, WINDOW - (now - self._events[0][0])))

    @staticmethod
    def settle(entry: list[float], actual_tokens: int) -> None:
        entry[1] = float(actual_tokens)
