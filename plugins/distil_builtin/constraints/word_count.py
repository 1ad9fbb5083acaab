"""word_count: how many words the output has (the `words` unit of `distil.text`).

Words are runs of letters, digits and marks; Han, Hiragana and Katakana count one word per
character. For `target ± tolerance` in words, use `char_count` with `unit: words`.
"""

from __future__ import annotations

from typing import ClassVar

from distil.kinds import Constraint, CountRange
from distil.text import measure
from distil.types import Document, Verdict


class WordCount(CountRange, Constraint):
    """Number of words: exactly `count`, or within `min`..`max` (CJK: one per character)."""

    default_feedback: ClassVar[dict[str, str]] = {
        "over": "Make the text shorter: it has {{ found }} and should have {{ want }}.",
        "under": "Make the text longer: it has {{ found }} and should have {{ want }}.",
    }

    def check(self, output: str, doc: Document | None = None) -> Verdict:
        return self.judge_count(measure(output, "words"), "words", "word")
