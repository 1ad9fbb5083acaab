"""What a constraint says about the language of outputs it accepts (`Constraint.grammar()`).

A constraint returns one of these values, or raises `NotCompilable` with the reason it cannot
(a unit the grammar cannot count, a regex outside the subset, ...). The compiler
(`distil.grammar.compile`) combines the pieces of a constraint set into one grammar.

- `Lines`: how many non-empty lines, and whether each is a bullet with a given marker;
- `Length`: a range of length, in `chars` (NFC code points) or `words`, counted over the whole
  output or on every line (`per_line`), of all of it or of its body (`count: body`);
- `Whole`: a finished grammar for the whole output (a regex in the supported subset, a JSON
  schema); it does not combine with other pieces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from distil.grammar.ir import Grammar


class NotCompilable(Exception):
    """This constraint cannot be written as a grammar; the message says why."""


@dataclass(frozen=True)
class Lines:
    min: int | None = None
    max: int | None = None
    marker: str | None = None  # every line a bullet starting with this marker


@dataclass(frozen=True)
class Length:
    unit: Literal["chars", "words"]
    min: int | None = None
    max: int | None = None
    count: Literal["all", "body"] = "all"
    per_line: bool = False


@dataclass(frozen=True)
class Whole:
    kind: str  # "regex", "json_schema": named in messages
    grammar: Grammar | None = None  # the IR, when distil built it
    gbnf: str | None = None  # the text, when another library wrote it


GrammarPiece = Lines | Length | Whole
