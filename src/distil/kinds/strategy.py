"""Strategy: how a teacher reaches an accepted output."""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Protocol

from distil.kinds.base import Plugin
from distil.kinds.constraint import ConstraintSet
from distil.kinds.model import Model
from distil.types import Attempt, Document, Message

# The engine passes this to `solve`: it sends messages to the model, checks the output, commits
# the attempt to the run store *before* returning it, and returns it. Strategies never talk to a
# model directly, so caching, retries, rate limits and persistence stay the engine's job.
class AttemptFn(Protocol):
    def __call__(self, messages: Sequence[Message], restart: int, round: int,
                 params: Mapping[str, Any] | None = None) -> Awaitable[Attempt]: ...

    def many(self, messages: Sequence[Message], n: int,
             params: Mapping[str, Any] | None = None) -> Awaitable[list[Attempt]]:
        """`n` fresh candidates for the same messages (restarts 0..n-1, round 0).

        Where the model can answer with several choices (the API's `n`), they come from one
        request, whose prompt is paid for once; otherwise from n parallel requests."""
        ...


class Strategy(Plugin, abc.ABC):
    """Drives attempts for one document until one is accepted or the budget is spent."""

    @abc.abstractmethod
    async def solve(self, doc: Document, prompt: Sequence[Message], attempt: AttemptFn,
                    model: Model, constraints: ConstraintSet) -> list[Attempt]:
        """Return every attempt made, in order.

        `prompt` is the rendered system/user messages; `attempt(messages, restart, round,
        params)` makes one request (`params` override the model's request parameters). The engine picks the accepted output from the returned attempts with
        `choose`.
        """

    def postprocess(self, text: str) -> str:
        """The text the constraints judge and the dataset gets, from the text the model wrote.

        The engine applies it to every answer of this strategy's requests before judging
        (online, Batch API, resumed from the store or replayed from the cache, which keep the
        model's own text); when it changes the text, the attempt keeps both
        (`Attempt.raw_output`). The default leaves the text as it is; `countdown` strips its
        markers."""
        return text

    def choose(self, attempts: Sequence[Attempt]) -> Attempt | None:
        """The attempt to keep: the first that passed, else None."""
        for a in attempts:
            if a.passed:
                return a
        return None

    @staticmethod
    def closest(attempts: Sequence[Attempt]) -> Attempt | None:
        """The answered attempt with the smallest total distance (the first of equals)."""
        answered = [a for a in attempts if a.completion is not None]
        return min(answered, key=lambda a: a.total_distance, default=None)
