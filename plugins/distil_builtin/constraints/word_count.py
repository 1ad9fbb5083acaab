"""word_count: how many words the output has (the `words` unit of `distil.text`).

Words are runs of letters, digits and marks; Han, Hiragana and Katakana count one word per
character. For `target ± tolerance` in words, use `char_count` with `unit: words`.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from distil.kinds import Constraint, CountRange
from distil.text import measure
from distil.text.per_line import judge_lines
from distil.types import Document, Verdict


class WordCount(CountRange, Constraint):
    """Number of words: exactly `count`, or within `min`..`max` (CJK: one per character)."""

    per_line: bool = Field(
        default=False,
        description="Judge every non-empty line against the range instead of the whole "
                    "output; the verdict names the first line outside it.")

    default_feedback: ClassVar[dict[str, str]] = {
        "over": "Make the text shorter: it has {{ found }} and should have {{ want }}.",
        "under": "Make the text longer: it has {{ found }} and should have {{ want }}.",
        "line_over": "Make line {{ line }} shorter: it has {{ found }} and should have "
                     "{{ want }}.",
        "line_under": "Make line {{ line }} longer: it has {{ found }} and should have "
                      "{{ want }}.",
    }

    def check(self, output: str, doc: Document | None = None) -> Verdict:
        if not self.per_line:
            return self.judge_count(measure(output, "words"), "words", "word")
        line, n, _ = judge_lines(output, lambda text: measure(text, "words"),
                                 self.range) or (1, 0, 0)
        return self.judge_count(n, "words", "word", line=line)

    def grammar(self):
        from distil.grammar import Length

        return Length("words", self.range.min, self.range.max, "all", self.per_line)
