"""char_count: the output's length must fall in a range, in any unit (the flagship check).

`x_post` is the same check preset for an X post: weighted length at most 280.
"""

from __future__ import annotations

import math

from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from distil.errors import UsageError
from distil.kinds import Constraint
from distil.text import (
    DEFAULT_ENCODING,
    CountMode,
    Range,
    Unit,
    check_encoding_name,
    measure,
    require_encoding,
    tolerance_range,
    unit_noun,
)
from distil.text.per_line import judge_lines
from distil.text.units import X_WEIGHT_MARGIN
from distil.types import Document, Verdict


class CharCount(Constraint):
    """Length within target ± tolerance or min..max, in chars, graphemes, words, tokens..."""

    target: int | None = Field(
        default=None, ge=0,
        description="Wanted length; with `tolerance` a range around it, alone an exact length.")
    tolerance: float | None = Field(
        default=None, ge=0,
        description="Relative slack around `target` (0.05 = ±5%); min rounds up, max rounds down.")
    min: int | None = Field(default=None, ge=0, description="Shortest allowed length (inclusive).")
    max: int | None = Field(default=None, ge=0, description="Longest allowed length (inclusive).")
    unit: Unit = Field(
        default="chars",
        description="chars (NFC code points), graphemes, x_weighted, words or tokens.")
    count: CountMode = Field(
        default="all",
        description="all: the whole output as written; body: without whitespace, newlines "
                    "and bullet markers.")
    encoding: str = Field(
        default=DEFAULT_ENCODING, description="tiktoken encoding, for `unit: tokens`.")
    per_line: bool = Field(
        default=False,
        description="Judge every non-empty line against the range instead of the whole "
                    "output; the verdict names the first line outside it.")

    default_feedback: ClassVar[dict[str, str]] = {
        "over": "The text is {{ over }} {{ unit_word }} over. Make the text a little shorter.",
        "under": "The text still has {{ under }} {{ unit_word }} to spare. "
                 "Make the text a little longer.",
        "line_over": "Line {{ line }} is {{ over }} {{ unit_word }} over. Make that line "
                     "shorter.",
        "line_under": "Line {{ line }} is {{ under }} {{ unit_word }} short. Make that line "
                      "longer.",
    }

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        check_encoding_name(value)
        return value

    @model_validator(mode="after")
    def _bounds_given(self):
        if self.target is not None and (self.min is not None or self.max is not None):
            raise ValueError("give either `target` (with `tolerance`) or `min`/`max`, not both")
        if self.tolerance is not None and self.target is None:
            raise ValueError("`tolerance` needs a `target`")
        if self.tolerance is not None and not math.isfinite(self.tolerance):
            raise ValueError("`tolerance` must be a finite number (0.05 for ±5%)")
        if self.target is None and self.min is None and self.max is None:
            raise ValueError("give `target` (with `tolerance`) or `min`/`max`")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) is greater than `max` ({self.max})")
        if self.unit == "tokens":
            try:  # fail when the recipe is loaded, not after the first paid request
                require_encoding(self.encoding)
            except UsageError as exc:
                raise ValueError(str(exc)) from None
        return self

    @property
    def range(self) -> Range:
        if self.target is not None:
            return tolerance_range(self.target, self.tolerance or 0.0)
        return Range(self.min, self.max)

    def grammar(self):
        """A length range in chars (graphemes count the same in the grammar's characters) or
        words; x_weighted and tokens do not compile."""
        from distil.grammar import Length, NotCompilable

        if self.unit not in ("chars", "graphemes", "words"):
            raise NotCompilable(f"unit {self.unit} has no grammar (chars, graphemes and words "
                                f"do)")
        bounds = self.range
        return Length("words" if self.unit == "words" else "chars", bounds.min, bounds.max,
                      self.count, self.per_line)

    def measure(self, output: str) -> int:
        """The output's length; `x_weighted` stops counting X_WEIGHT_MARGIN past `max`, where
        the verdict can no longer change (a multi-megabyte text is judged in milliseconds)."""
        bounds = self.range
        stop = (bounds.max + X_WEIGHT_MARGIN
                if self.unit == "x_weighted" and bounds.max is not None else None)
        return measure(output, self.unit, self.count, self.encoding, stop_above=stop)

    def check(self, output: str, doc: Document | None = None) -> Verdict:
        bounds = self.range
        line = None
        if self.per_line:
            line, n, _ = judge_lines(output, self.measure, bounds) or (1, 0, 0)
        else:
            n = self.measure(output)
        measured: dict[str, object] = {
            "count": n, "unit": self.unit, "min": bounds.min, "max": bounds.max,
        }
        if self.target is not None:
            measured["target"] = self.target
        if self.count != "all":
            measured["mode"] = self.count
        if line is not None:
            measured["line"] = line
        distance = bounds.distance(n)
        if distance == 0:
            return self.verdict(passed=True, measured=measured)
        amount = abs(distance)
        key = "over" if distance > 0 else "under"
        return self.verdict(
            passed=False, measured=measured, distance=distance,
            feedback_key=key if line is None else "line_" + key,
            over=max(distance, 0), under=max(-distance, 0),
            unit_word=unit_noun(self.unit, amount),
        )


class XPost(CharCount):
    """An X (Twitter) post: weighted length at most 280 (CJK and emoji weigh 2, URLs 23)."""

    unit: Unit = Field(default="x_weighted",
                       description="Length unit; x_weighted is how X counts a post.")
    max: int | None = Field(default=280, ge=0,
                            description="Heaviest allowed weighted length (inclusive).")
