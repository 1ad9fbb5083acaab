"""regex: the output must (or must not) contain a match of a regular expression.

Patterns use the `regex` package (a superset of Python's `re`: `\\p{Han}`, `\\X`, ...) and are
searched anywhere in the output; anchor with `\\A`...`\\Z` to match the whole of it. A search
that runs longer than TIMEOUT seconds (a pathological pattern) is a UsageError.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import functools

import regex
from pydantic import Field, field_validator, model_validator

from distil.errors import UsageError
from distil.kinds import Constraint
from distil.types import Document, Verdict

Flag = Literal["ignorecase", "multiline", "dotall", "verbose", "ascii"]
FLAGS: dict[str, int] = {
    "ignorecase": regex.IGNORECASE,
    "multiline": regex.MULTILINE,
    "dotall": regex.DOTALL,
    "verbose": regex.VERBOSE,
    "ascii": regex.ASCII,
}
TIMEOUT = 2.0
_QUOTE_LIMIT = 40


@functools.lru_cache(maxsize=256)
def _compile(pattern: str, flags: int) -> regex.Pattern:
    return regex.compile(pattern, flags)


class Regex(Constraint):
    """The output must match (or must not match) a regular expression."""

    pattern: str = Field(
        description="Regular expression (regex package syntax), searched anywhere.")
    must: Literal["match", "not_match"] = Field(
        default="match", description="match: a match must exist; not_match: none may.")
    flags: list[Flag] = Field(
        default_factory=list,
        description="Any of ignorecase, multiline, dotall, verbose, ascii.")

    default_feedback: ClassVar[dict[str, str]] = {
        "no_match": "Rewrite the text so that it matches the regular expression {{ pattern }}.",
        "matched": "Rewrite the text without \u201c{{ match }}\u201d: it must not match the "
                   "regular expression {{ pattern }}.",
    }

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            regex.compile(value)
        except regex.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _compiles_with_flags(self):
        try:  # a flag (verbose, ascii) can break a pattern that compiled without it
            self.compiled()
        except regex.error as exc:
            raise ValueError(f"invalid regular expression with flags {self.flags}: {exc}") from None
        return self

    def compiled(self) -> regex.Pattern:
        flags = 0
        for name in self.flags:
            flags |= FLAGS[name]
        return _compile(self.pattern, flags)

    def grammar(self):
        """The texts the pattern finds a match in, when it is in the subset
        `distil.grammar.regex_subset` compiles; `not_match` and flags do not compile."""
        from distil.grammar import NotCompilable, Whole
        from distil.grammar.regex_subset import regex_grammar

        if self.must != "match":
            raise NotCompilable("must: not_match has no grammar")
        if self.flags:
            raise NotCompilable(f"flags ({', '.join(self.flags)}) are outside the supported "
                                f"subset")
        return Whole("regex", grammar=regex_grammar(self.pattern))

    def check(self, output: str, doc: Document | None = None) -> Verdict:
        try:
            if self.must == "match":
                found = self.compiled().search(output, timeout=TIMEOUT)
                matches = 1 if found else 0
            else:
                hits = list(self.compiled().finditer(output, timeout=TIMEOUT))
                found = hits[0] if hits else None
                matches = len(hits)
        except TimeoutError:
            raise UsageError(f"regex {self.pattern!r} took over {TIMEOUT:g} s on one output; "
                             f"simplify the pattern") from None
        text = found.group(0) if found else None
        if text is not None and len(text) > _QUOTE_LIMIT:
            text = text[:_QUOTE_LIMIT] + "…"
        measured = {"pattern": self.pattern, "must": self.must, "matches": matches, "match": text}
        if self.must == "match":
            if found:
                return self.verdict(passed=True, measured=measured)
            return self.verdict(passed=False, measured=measured, distance=1,
                                feedback_key="no_match")
        if not found:
            return self.verdict(passed=True, measured=measured)
        return self.verdict(passed=False, measured=measured, distance=matches,
                            feedback_key="matched")
