"""sentence_count: how many sentences the output has.

A sentence ends at `。`, `！`, `？` (and half-width `｡`) wherever they stand, and at `.`, `!`,
`?` when whitespace, the end of the text or a CJK character follows, so `3.14`, `U.S.A` and
`example.com` end nothing. A run of enders (`?!`, `...`) and the closing quotes or brackets
after it (`」`, `)`, `"`) end one sentence. Text after the last ender is a sentence too. A piece
holding only whitespace and punctuation (such as a lone bullet marker) is not a sentence.
With `line_breaks: true` a line break ends a sentence as well, for bullet lists written
without full stops.
"""

from __future__ import annotations

from typing import ClassVar

import regex
from pydantic import Field

from distil.kinds import Constraint, CountRange
from distil.text import nfc, split_lines
from distil.types import Document, Verdict

_CLOSERS = r"""[\p{Pe}\p{Pf}"']*"""
_ENDER = regex.compile(
    r"[。！？｡]+" + _CLOSERS
    + r"|[.!?]+" + _CLOSERS + r"(?=\s|\Z|[\p{Han}\p{Hiragana}\p{Katakana}])"
)
_CONTENT = regex.compile(r"[^\s\p{P}]")


def sentences(text: str, *, line_breaks: bool = False) -> list[str]:
    """The sentences of `text`, each with its ender, stripped."""
    chunks = split_lines(nfc(text)) if line_breaks else [nfc(text)]
    out: list[str] = []
    for chunk in chunks:
        start = 0
        for m in _ENDER.finditer(chunk):
            out.append(chunk[start:m.end()])
            start = m.end()
        out.append(chunk[start:])
    return [s.strip() for s in out if _CONTENT.search(s)]


class SentenceCount(CountRange, Constraint):
    """Number of sentences (ended by . ! ? 。 ！ ？): exactly `count`, or `min`..`max`."""

    line_breaks: bool = Field(
        default=False, description="Also end a sentence at every line break.")

    default_feedback: ClassVar[dict[str, str]] = {
        "over": "Use fewer sentences: the text has {{ found }} and should have {{ want }}.",
        "under": "Write more sentences: the text has {{ found }} and should have {{ want }}.",
    }

    def check(self, output: str, doc: Document | None = None) -> Verdict:
        return self.judge_count(len(sentences(output, line_breaks=self.line_breaks)), "sentences", "sentence")
