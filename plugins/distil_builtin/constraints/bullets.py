"""bullets: the output is a list of exactly `count` bullet lines and nothing else.

Markers are those of `distil.text.lines`: `-`, `*`, `・`, `･`, `•`, `●`, `1.`, `1)`, `１．`, `①`..`⑳`.
Empty lines are ignored; any other line without a marker is a "non-bullet line".

Distance: `found - count` when every line is a bullet (negative when bullets are missing);
otherwise `|found - count| + non_bullet_lines`, always positive, because the fix is to remove
or convert lines.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from pydantic import Field, field_validator

from distil.kinds import Constraint
from distil.text import amount, bullet_marker, non_empty_lines
from distil.types import Document, Verdict

_QUOTE_LIMIT = 30


class Bullets(Constraint):
    """Exactly `count` bullet lines (・ - * • ● 1. 1) ①...), and no other non-empty line."""

    count: int = Field(ge=0, description="Number of bullet lines required.")
    marker: str | None = Field(
        default=None,
        description="The marker every bullet must use (`-`, `*`, `・`, `･`, `•`, `●`); "
                    "default: any marker. A grammar writes this one (default `-`).")

    default_feedback: ClassVar[dict[str, str]] = {
        "too_many": "Use fewer bullets: the text has {{ found }} and should have exactly "
                    "{{ expected }}.",
        "too_few": "Add bullets: the text has {{ found }} and should have exactly "
                   "{{ expected }}.",
        "wrong_marker": "Start every bullet with {{ wanted_marker }}; a line starts with "
                        "{{ marker_found }}.",
        "not_bullets": "Write exactly {{ wanted }} and nothing else, each line starting with a "
                       "marker such as {{ marker }}; the line \u201c{{ first_other }}\u201d "
                       "is not a bullet.",
    }

    @field_validator("marker")
    @classmethod
    def _writable_marker(cls, value: str | None) -> str | None:
        from distil.grammar.layout import MARKERS

        if value is not None and value not in MARKERS:
            raise ValueError(f"marker must be one of {' '.join(MARKERS)}")
        return value

    def grammar(self):
        from distil.grammar import Lines

        return Lines(self.count, self.count, self.marker or "-")

    def check(self, output: str, doc: Document | None = None) -> Verdict:
        markers: list[str] = []
        others: list[str] = []
        for line in non_empty_lines(output):
            marker = bullet_marker(line)
            if marker is None:
                others.append(line.strip())
            else:
                markers.append(marker)
        found = len(markers)
        measured = {"bullets": found, "non_bullet_lines": len(others), "expected": self.count}
        values = {
            "found": amount(found, "bullet line"),
            "wanted": amount(self.count, "bullet line"),
            "marker": Counter(markers).most_common(1)[0][0] if markers else "-",
        }
        if others:
            first = others[0]
            if len(first) > _QUOTE_LIMIT:
                first = first[:_QUOTE_LIMIT] + "…"
            distance = abs(found - self.count) + len(others)
            return self.verdict(passed=False, measured=measured, distance=distance,
                                feedback_key="not_bullets", first_other=first, **values)
        distance = found - self.count
        wrong = [m for m in markers if self.marker is not None and m != self.marker]
        if wrong and distance == 0:
            measured["wrong_marker"] = len(wrong)
            return self.verdict(passed=False, measured=measured, distance=len(wrong),
                                feedback_key="wrong_marker", wanted_marker=self.marker,
                                marker_found=wrong[0], **values)
        if distance == 0:
            return self.verdict(passed=True, measured=measured)
        return self.verdict(passed=False, measured=measured, distance=distance,
                            feedback_key="too_many" if distance > 0 else "too_few",
                            over=max(distance, 0), under=max(-distance, 0), **values)
