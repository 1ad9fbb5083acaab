"""Countdown prompting: the model counts its own budget down as it writes.

After the method of CAPEL (arXiv 2508.13805): the prompt asks the model to open with the
number of units it has, `<25>`, and to write after every unit how many are left, down to `<0>`.
The markers are stripped (`postprocess`) before the constraints judge the text, so the dataset
gets clean text; the run store keeps what the model wrote (`Attempt.raw_output`).

The unit and the budget come from the constraint being targeted: the first constraint of the
set that describes a length (`char_count`, `word_count`, or any whose `grammar()` is a
`Length`). Its range's middle is the budget. A character limit counts characters for a
document in Japanese or Chinese; for other scripts (`unit: auto`) the model counts words
instead, with the budget converted at `chars_per_word`: counting a hundred letters one by one
is beyond what a prompt can ask of a model, words are what the paper counts for English.

It composes with refine: `countdown` is `refine` with a countdown prompt and one round by
default, so `{countdown: {max_rounds: 3}}` is countdown first, then refine's feedback (on the
stripped text) when it misses, with a reminder to keep counting. Every `refine` option applies.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from distil.grammar import Length, NotCompilable
from distil.kinds import ConstraintSet, Model
from distil.kinds.strategy import AttemptFn
from distil.types import Attempt, Document, Message
from distil_builtin.metrics.lcs import pick_level
from distil_builtin.strategies.refine import Refine

MARKER = r"<-?\d{1,5}>"
_AT_LINE_START = re.compile(rf"(?m)^([ \t]*){MARKER}[ \t]*")
_INLINE = re.compile(rf"[ \t]*{MARKER}")

INSTRUCTION = (
    "Count your {units} as you write. Start with <{budget}>, the number of {units} you have. "
    "After every {unit} write how many are left in angle brackets: <{first}>, <{second}>, and "
    "so on, ending with <0> after the last {unit}. For example, {example_size} {units}: "
    "{example}\nThe numbers in angle brackets are removed before your answer is read; write "
    "no other text in angle brackets.")
REMINDER = "Write the whole answer again, counting down from <{budget}> as before."
EXAMPLES = {"words": "The river rose last night", "chars": "東京駅前"}


def strip_markers(text: str) -> str:
    """The text without countdown markers: each marker goes with the spaces before it (at the
    start of a line, with the spaces after it), so `<3> The <2> cat <1> sat <0>` reads
    `The cat sat`, and `<2>東<1>京<0>` reads `東京`."""
    return _INLINE.sub("", _AT_LINE_START.sub(r"\1", text))


def with_markers(text: str, unit: Literal["words", "chars"]) -> str:
    """`text` written as countdown asks (the inverse of `strip_markers` for text with single
    spaces between words, or, counting characters, text without spaces)."""
    if unit == "chars":
        n = len(text)
        return f"<{n}>" + "".join(f"{c}<{n - i - 1}>" for i, c in enumerate(text))
    lines = [line.split(" ") if line else [] for line in text.split("\n")]
    total = left = sum(len(words) for words in lines)
    written = []
    for words in lines:
        parts = []
        for word in words:
            left -= 1
            parts.append(f"{word} <{left}>")
        written.append(" ".join(parts))
    return f"<{total}> " + "\n".join(written)


@dataclass(frozen=True)
class Target:
    """What the model counts down: a unit and a budget, for the whole text or each line."""

    unit: Literal["words", "chars"]
    budget: int
    per_line: bool = False


class Countdown(Refine):
    """Ask with countdown markers, judge the text without them; refine when `max_rounds` > 1."""

    max_rounds: int = Field(default=1, ge=1, description="Requests per conversation; above 1, "
                            "refine's feedback follows a miss (countdown + refine).")
    unit: Literal["auto", "chars", "words"] = Field(
        default="auto",
        description="What the model counts: `auto` takes the targeted constraint's unit, and "
                    "counts words for a character limit on text not in Japanese or Chinese.")
    chars_per_word: float = Field(
        default=6.0, gt=0,
        description="Characters a word stands for when a character limit is counted in words.")
    instruction: str = Field(
        default=INSTRUCTION,
        description="The paragraph added to the last user message; `{budget}`, `{unit}`, "
                    "`{units}`, `{first}`, `{second}`, `{example}`, `{example_size}` are "
                    "filled in.")

    def postprocess(self, text: str) -> str:
        return strip_markers(text)

    async def solve(self, doc: Document, prompt: Sequence[Message], attempt: AttemptFn,
                    model: Model, constraints: ConstraintSet) -> list[Attempt]:
        target = self.target(doc, constraints)
        if target is None:  # nothing describes a length: refine as it is
            return await self.converse(prompt, attempt, self.feedback)
        reminder = REMINDER.format(budget=target.budget)
        return await self.converse(self.prompt(prompt, target), attempt,
                                   lambda result: f"{self.feedback(result)} {reminder}")

    def target(self, doc: Document, constraints: ConstraintSet) -> Target | None:
        """The first length the constraints describe, as a unit and budget (None: none)."""
        for constraint in constraints:
            try:
                piece = constraint.grammar()
            except NotCompilable:
                continue
            if not isinstance(piece, Length) or (piece.min is None and piece.max is None):
                continue
            low = piece.min if piece.min is not None else piece.max
            high = piece.max if piece.max is not None else piece.min
            budget, unit = (low + high) / 2, piece.unit
            wanted = self.unit
            if wanted == "auto":
                wanted = "chars" if unit == "chars" and pick_level(doc.text) == "char" \
                    else "words"
            if unit == "chars" and wanted == "words":
                budget /= self.chars_per_word
            return Target(wanted, max(1, math.floor(budget + 0.5)), piece.per_line)
        return None

    def prompt(self, prompt: Sequence[Message], target: Target) -> tuple[Message, ...]:
        """The recipe's prompt with the countdown paragraph added to its last user message."""
        unit = "word" if target.unit == "words" else "character"
        example = EXAMPLES[target.unit]
        size = len(example) if target.unit == "chars" else len(example.split())
        text = self.instruction.format(
            budget=target.budget, unit=unit, units=unit + "s", first=target.budget - 1,
            second=target.budget - 2, example=with_markers(example, target.unit),
            example_size=size)
        if target.per_line:
            text += f" Count each line on its own, from <{target.budget}>."
        messages = list(prompt)
        last = max(i for i, m in enumerate(messages) if m.role == "user")
        messages[last] = Message("user", f"{messages[last].content}\n\n{text}")
        return tuple(messages)
