"""A constraint set as one grammar: which constraints compile, the grammar, and why the rest
do not.

Each constraint may say what language of outputs it accepts (`Constraint.grammar()`, see
`distil.grammar.pieces`). The pieces combine this way:

- a `Whole` piece (a regex, a JSON schema) is a grammar for the whole output: the first one
  is the grammar, and every other constraint is checked after decoding;
- otherwise `Lines` pieces intersect (the tightest bounds; one bullet marker), and `Length`
  pieces intersect when they count in the same unit and mode as the first one (a total and a
  per-line range may both be given); those in another unit are checked after decoding.

A constraint left out is never dropped: its verdict still comes from `check` after decoding.
The grammar only makes outputs that the compiled constraints accept (and accepts every output
they accept, within the characters `distil.grammar.layout` writes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from distil.grammar.ir import Grammar
from distil.grammar.layout import compile_layout
from distil.grammar.pieces import Length, Lines, NotCompilable, Whole


@dataclass
class Compiled:
    """The result: the GBNF text (None when nothing compiled), the IR when distil wrote all of
    it, the names of the constraints it enforces, and (name, reason) for the others."""

    gbnf: str | None = None
    grammar: Grammar | None = None
    compiled: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _tighter(lo1, hi1, lo2, hi2):
    lo = max((x for x in (lo1, lo2) if x is not None), default=None)
    hi = min((x for x in (hi1, hi2) if x is not None), default=None)
    return lo, hi


def compile_constraints(constraints: Iterable) -> Compiled:
    """Compile what can be compiled of `constraints` (Constraint objects)."""
    result = Compiled()
    pieces: list[tuple[str, object]] = []
    for c in constraints:
        try:
            piece = c.grammar()
        except NotCompilable as exc:
            result.skipped.append((c.name, str(exc)))
            continue
        if piece is None:
            result.skipped.append((c.name, "describes no grammar (checked after decoding)"))
        else:
            pieces.append((c.name, piece))
    whole = next(((n, p) for n, p in pieces if isinstance(p, Whole)), None)
    if whole is not None:
        name, piece = whole
        result.compiled.append(name)
        result.grammar = piece.grammar
        result.gbnf = piece.gbnf if piece.gbnf is not None else piece.grammar.to_gbnf()
        result.skipped += [(n, f"does not combine with the {piece.kind} grammar of {name}")
                           for n, p in pieces if p is not piece]
        return result
    lines, total, per_line, names = Lines(), None, None, []
    unit = None
    for name, p in pieces:
        if isinstance(p, Lines):
            if p.marker and lines.marker and p.marker != lines.marker:
                result.skipped.append((name, f"wants the marker {p.marker!r}; the grammar "
                                             f"writes {lines.marker!r}"))
                continue
            lo, hi = _tighter(lines.min, lines.max, p.min, p.max)
            lines = Lines(lo, hi, lines.marker or p.marker)
        else:
            assert isinstance(p, Length)
            if unit is None:
                unit = (p.unit, p.count)
            elif (p.unit, p.count) != unit:
                result.skipped.append((name, f"counts {p.unit} ({p.count}); the grammar "
                                             f"counts {unit[0]} ({unit[1]})"))
                continue
            old = per_line if p.per_line else total
            lo, hi = _tighter(old.min if old else None, old.max if old else None, p.min, p.max)
            new = Length(p.unit, lo, hi, p.count, p.per_line)
            if p.per_line:
                per_line = new
            else:
                total = new
        names.append(name)
    if not names:
        return result
    try:
        grammar = compile_layout(lines, total, per_line)
    except NotCompilable as exc:
        result.skipped += [(n, str(exc)) for n in names]
        return result
    result.compiled, result.grammar, result.gbnf = names, grammar, grammar.to_gbnf()
    return result
