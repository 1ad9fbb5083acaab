"""The verify-and-refine loop of the "distilled GPT" write-up.

Ask; check the answer; if a constraint fails, send its feedback back as a user turn ("The
summary is 12 characters over. Make the text a little shorter.") and ask again, up to
`max_rounds` requests per conversation; if the conversation never passes, start a fresh one,
up to `restarts` more times. Every attempt is kept (the engine commits each before it counts).

An answer cut off by the token limit (`finish_reason: length`) is not judged on its length: the
constraints' feedback would ask a model that ran out of room to write more. The next turn says
instead that the answer was cut off and must fit in fewer tokens (`truncated_feedback`), and
the conversation goes on as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import Field

from distil.kinds import ConstraintSet, Model, Strategy
from distil.kinds.strategy import AttemptFn
from distil.types import Attempt, Document, Message


TRUNCATED_FEEDBACK = ("Your answer was cut off: it ran past the token limit before it "
                      "ended. Write the whole answer again so that it fits in fewer tokens.")


class Refine(Strategy):
    """Refine with constraint feedback, restarting fresh conversations when stuck.

    The write-up's loop is `max_rounds: 5, restarts: 4`: five conversations of five requests.
    """

    max_rounds: int = Field(default=3, ge=1, description="Requests per conversation, the first "
                                                         "answer included.")
    restarts: int = Field(default=0, ge=0, description="Fresh conversations to try after the "
                                                       "first one fails.")
    history: Literal["full", "last"] = Field(
        default="full",
        description="`full` sends the whole growing conversation (the write-up's loop); `last` "
                    "sends only the prompt, the latest answer and its feedback, so tokens do "
                    "not grow with every round.",
    )
    keep: Literal["passed", "closest"] = Field(
        default="passed",
        description="`passed` keeps only passing outputs; `closest` keeps the attempt with the "
                    "smallest total distance when none passed.",
    )
    truncated_feedback: str = Field(
        default=TRUNCATED_FEEDBACK,
        description="The user turn sent after an answer cut off by the token limit "
                    "(`finish_reason: length`), in place of the constraints' feedback.",
    )
    restart_params: dict[str, Any] = Field(
        default_factory=dict,
        description="Request parameters for restarts, e.g. `{temperature: 0.8}` so a fresh "
                    "conversation does not repeat the first.",
    )

    async def solve(self, doc: Document, prompt: Sequence[Message], attempt: AttemptFn,
                    model: Model, constraints: ConstraintSet) -> list[Attempt]:
        return await self.converse(prompt, attempt, self.feedback)

    async def converse(self, prompt: Sequence[Message], attempt: AttemptFn,
                       feedback: Callable[[Attempt], str]) -> list[Attempt]:
        """The loop, from `prompt`, with `feedback(attempt)` as the turn after a miss."""
        attempts: list[Attempt] = []
        for restart in range(self.restarts + 1):
            params = self.restart_params if restart > 0 else None
            messages: list[Message] = list(prompt)
            for round_ in range(self.max_rounds):
                result = await attempt(tuple(messages), restart, round_, params)
                attempts.append(result)
                if result.passed:
                    return attempts
                if result.completion is None:  # the request failed: this conversation is over
                    break
                turn = Message("user", feedback(result))
                # what the model wrote (countdown markers and all), not the text judged
                answer = Message("assistant", result.written or "")
                if self.history == "full":
                    messages += [answer, turn]
                else:
                    messages = [*prompt, answer, turn]
        return attempts

    def feedback(self, result: Attempt) -> str:
        """The next user turn: the failed constraints' sentences, or, when the answer was cut
        off by the token limit, that it must be shorter (whatever its length measured)."""
        if result.completion is not None and result.completion.finish_reason == "length":
            return self.truncated_feedback
        return ConstraintSet.feedback_message(result.verdicts)

    def choose(self, attempts: Sequence[Attempt]) -> Attempt | None:
        chosen = super().choose(attempts)
        if chosen is not None or self.keep == "passed":
            return chosen
        return self.closest(attempts)
