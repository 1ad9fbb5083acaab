"""ends_with: the output must end with one of a few endings (e.g. a Japanese full stop)."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field, field_validator

import distil

# What str.splitlines() splits on; CRLF is one break.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


class EndsWith(distil.Constraint):
    """The output ends with one of `endings` (trailing whitespace ignored unless strip: false)."""

    endings: list[str] = Field(min_length=1, description="Accepted endings, e.g. ['。', '！'].")
    strip: bool = Field(default=True, description="Ignore trailing whitespace and newlines.")

    # Default wording, one sentence a model can act on; a recipe overrides it with
    # `feedback: {wrong_ending: "..."}`. The template sees every `measured` value.
    default_feedback: ClassVar[dict[str, str]] = {
        "wrong_ending": "End the text with {{ wanted }}; it now ends with \u201c{{ shown }}\u201d.",
    }

    @field_validator("endings")
    @classmethod
    def _not_empty(cls, endings: list[str]) -> list[str]:
        if any(not e for e in endings):
            raise ValueError("an ending cannot be the empty string")
        # Compare in NFC, as distil's counting does, so が and か+゙ are the same ending.
        return [distil.text.nfc(e) for e in endings]

    def check(self, output: str, doc: distil.Document | None = None) -> distil.Verdict:
        text = distil.text.nfc(output)
        if self.strip:
            text = text.rstrip()
        ok = any(text.endswith(e) for e in self.endings)
        measured = {"tail": text[-10:], "endings": list(self.endings)}
        if ok:
            return self.verdict(passed=True, measured=measured)
        wanted = " or ".join(f"\u201c{e}\u201d" for e in self.endings)
        # Feedback is one line: show the tail's line breaks as ⏎ rather than breaking it.
        shown = _LINE_BREAK.sub("\u23ce", text[-10:])
        # No direction to this check, so a failure is distance 1.
        return self.verdict(passed=False, measured=measured, distance=1,
                            feedback_key="wrong_ending", wanted=wanted, shown=shown)
