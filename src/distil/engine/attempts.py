"""The `attempt` a strategy is handed for one document (`distil.kinds.strategy.AttemptFn`).

It forwards to the engine's request functions and remembers which stored row each attempt is,
by its (restart, round), so the document's outcome can name the row it kept even when
candidates finish out of order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from distil.types import Attempt, Message

Params = Mapping[str, Any] | None
OneRequest = Callable[[Sequence[Message], int, int, Params], Awaitable[tuple[int, Attempt]]]
ManyRequest = Callable[[Sequence[Message], int, Params], Awaitable[list[tuple[int, Attempt]]]]


class DocumentAttempts:
    """`attempt(messages, restart, round, params)` and `attempt.many(messages, n, params)`."""

    def __init__(self, one: OneRequest, many: ManyRequest | None = None) -> None:
        self._one = one
        self._many = many  # None: the model has no `n`; candidates are separate requests
        self.ids: dict[tuple[int, int], int] = {}  # (restart, round) -> stored attempt id

    async def __call__(self, messages: Sequence[Message], restart: int, round: int,
                       params: Params = None) -> Attempt:
        attempt_id, result = await self._one(messages, restart, round, params)
        self.ids[(result.restart, result.round)] = attempt_id
        return result

    async def many(self, messages: Sequence[Message], n: int,
                   params: Params = None) -> list[Attempt]:
        if self._many is None:
            return list(await asyncio.gather(
                *(self(messages, i, 0, params) for i in range(n))))
        pairs = await self._many(messages, n, params)
        for attempt_id, result in pairs:
            self.ids[(result.restart, result.round)] = attempt_id
        return [result for _, result in pairs]
