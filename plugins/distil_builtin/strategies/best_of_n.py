"""Ask n times independently and keep the first passing answer, else the closest."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from distil.kinds import ConstraintSet, Model, Strategy
from distil.kinds.strategy import AttemptFn
from distil.types import Attempt, Document, Message


class BestOfN(Strategy):
    """n independent candidates in parallel; keep the first that passes (in candidate order),
    or with `keep: closest` the one with the smallest total distance.

    Each candidate is a fresh conversation (`restart` = its index). Where the model answers
    with several choices (the OpenAI API's `n`; litellm providers that take it), all n come
    from one request and the prompt is paid for once; otherwise they are n parallel requests,
    and with a `seed` in the model's params each gets its own (seed + index).
    """

    n: int = Field(default=4, ge=1, le=64, description="Candidates per document.")
    keep: Literal["passed", "closest"] = Field(
        default="closest", description="What to keep when no candidate passed.")
    one_request: bool = Field(
        default=True, description="Ask for the n candidates in one request with the API's `n` "
        "where the model supports it; false: always n separate requests.")
    params: dict[str, Any] = Field(
        default_factory=lambda: {"temperature": 0.8},
        description="Request parameters for the candidates (diversity comes from sampling).")

    async def solve(self, doc: Document, prompt: Sequence[Message], attempt: AttemptFn,
                    model: Model, constraints: ConstraintSet) -> list[Attempt]:
        if self.one_request:
            return await attempt.many(prompt, self.n, self.params)
        return list(await asyncio.gather(
            *(attempt(prompt, i, 0, self.params) for i in range(self.n))))

    def choose(self, attempts: Sequence[Attempt]) -> Attempt | None:
        chosen = super().choose(attempts)
        if chosen is not None or self.keep == "passed":
            return chosen
        return self.closest(attempts)
