"""line_count: how many non-empty lines the output has.

Lines are split as `distil.text.split_lines` does (LF, CRLF, lone CR, Unicode separators);
lines of only whitespace are not counted, so a blank line between paragraphs changes nothing.
"""

from __future__ import annotations

from typing import ClassVar

from distil.kinds import Constraint, CountRange
from distil.text import non_empty_lines
from distil.types import Document, Verdict


class LineCount(CountRange, Constraint):
    """Number of non-empty lines: exactly `count`, or within `min`..`max`."""

    default_feedback: ClassVar[dict[str, str]] = {
        "over": "Use fewer lines: the text has {{ found }} and should have "
                "{{ want }}.",
        "under": "Use more lines: the text has {{ found }} and should have "
                 "{{ want }}.",
    }

    def check(self, output: str, doc: Document | None = None) -> Verdict:
        return self.judge_count(len(non_empty_lines(output)), "lines", "line", "non-empty line")

    def grammar(self):
        from distil.grammar import Lines

        return Lines(self.range.min, self.range.max)
