"""Inclusive count ranges, shared by every constraint that counts something.

`distil.kinds.CountRange` gives a constraint the `count`/`min`/`max` options built on these.

A range is `min..max` with either end open (None). The signed distance is how far a count lies
outside it: `count - max` when over (positive), `count - min` when under (negative), 0 within.
`tolerance_range` turns `target ± tolerance` into whole bounds that never admit a count outside
the real interval: the lower bound rounds up, the upper bound rounds down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Range:
    min: int | None
    max: int | None

    def distance(self, count: int) -> int:
        if self.max is not None and count > self.max:
            return count - self.max
        if self.min is not None and count < self.min:
            return count - self.min
        return 0

    def describe(self, noun: str) -> str:
        """'exactly 3 lines', 'at most 120 words', '2 to 4 sentences' ..."""
        lo, hi = self.min, self.max

        def n(k: int) -> str:
            return amount(k, noun)

        if lo is not None and hi is not None:
            return f"exactly {n(hi)}" if lo == hi else f"{lo} to {n(hi)}"
        if hi is not None:
            return f"at most {n(hi)}"
        return f"at least {n(lo or 0)}"


def amount(n: int, noun: str) -> str:
    """'1 line', '3 lines' (English plural by adding s)."""
    return f"{n} {noun if n == 1 else noun + 's'}"


def tolerance_range(target: int, tolerance: float) -> Range:
    """`target ± target*tolerance` as whole bounds: min rounds up, max rounds down.

    Decimal fractions are taken at face value (0.07 is 7/100, not the nearest binary float),
    so 100 ± 7% is exactly 93..107.
    """
    slack = Fraction(str(target)) * Fraction(str(tolerance))
    lo = max(0, math.ceil(Fraction(target) - slack))
    hi = math.floor(Fraction(target) + slack)
    return Range(lo, hi)
