"""CountRange: the `count` / `min` / `max` options of a constraint that counts something.

A mixin, listed before `Constraint` (`class LineCount(CountRange, Constraint)`), so that every
counting constraint, built-in or not, takes the same options, refuses the same mistakes and
answers with the same verdict: the count, its unit and bounds in `measured`, the signed
distance to the range, and feedback that names what was found and what is wanted.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from distil.text.ranges import Range, amount
from distil.types import Verdict


class CountRange(BaseModel):
    """Options `count` (exact) or `min`/`max` (inclusive), for constraints that count things."""

    count: int | None = Field(default=None, ge=0, description="Exact number required.")
    min: int | None = Field(default=None, ge=0, description="Fewest allowed (inclusive).")
    max: int | None = Field(default=None, ge=0, description="Most allowed (inclusive).")

    @model_validator(mode="after")
    def _one_way(self):
        if self.count is not None and (self.min is not None or self.max is not None):
            raise ValueError("give either `count` or `min`/`max`, not both")
        if self.count is None and self.min is None and self.max is None:
            raise ValueError("give `count`, `min` or `max`")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) is greater than `max` ({self.max})")
        return self

    @property
    def range(self) -> Range:
        if self.count is not None:
            return Range(self.count, self.count)
        return Range(self.min, self.max)

    def judge_count(self, n: int, unit: str, noun: str, found_noun: str | None = None,
                    line: int | None = None) -> Verdict:
        """The verdict for `n` counted things: within the range, or over/under with feedback.

        `unit` goes in `measured` ("words"); `noun` names one thing in the feedback ("word");
        `found_noun` names what was counted when that differs ("non-empty line"). The class's
        `default_feedback` needs the keys `over` and `under`; their templates see `found`
        ("5 words"), `want` ("at most 3 words"), `over` and `under` (how far, or 0).
        With `line` (a per-line count, from `distil.text.per_line`) the line's number goes in
        `measured` and the feedback keys are `line_over` and `line_under`.
        """
        bounds = self.range
        measured = {"count": n, "unit": unit, "min": bounds.min, "max": bounds.max}
        if line is not None:
            measured["line"] = line
        distance = bounds.distance(n)
        if distance == 0:
            return self.verdict(passed=True, measured=measured)
        return self.verdict(passed=False, measured=measured, distance=distance,
                            feedback_key=("line_" if line is not None else "")
                            + ("over" if distance > 0 else "under"),
                            over=max(distance, 0), under=max(-distance, 0),
                            want=bounds.describe(noun), found=amount(n, found_noun or noun))
