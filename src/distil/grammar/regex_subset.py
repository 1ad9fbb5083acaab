"""A regular expression, in a supported subset, as a grammar.

The subset: literals, `.`, character classes of literals and ranges (negated too), `\\d` `\\w`
`\\s` outside negated classes, groups, alternation, and the quantifiers `* + ? {m,n}` (greedy or
lazy: the language is the same). `\\A`/`^` may open the pattern and `\\Z`/`$` close it; without
them the pattern is searched, so the grammar allows any text around the match. Python's own
parser (`re._parser`) reads the pattern; anything else it finds (lookarounds, backreferences,
`\\b`, Unicode properties, flags) makes the regex not compile, with the construct named; a
closing `$` also allows one final line break, as Python's `$` does.

`\\d`, `\\w` and `\\s` become their ASCII forms: a subset of what they match, so every string
of the grammar still matches; a negated class using them would be a superset, so it is refused.
"""

from __future__ import annotations

import re

from distil.grammar.ir import Cls, Expr, Grammar, Lit, alt, rep, seq
from distil.grammar.pieces import NotCompilable

try:  # Python 3.11+
    from re import _constants as C, _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

_CATEGORIES = {
    C.CATEGORY_DIGIT: ((0x30, 0x39),),
    C.CATEGORY_WORD: ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
    C.CATEGORY_SPACE: ((0x09, 0x0D), (0x20, 0x20)),
}
_ANY = Cls(((0x00, 0x10FFFF),))
_DOT = Cls(((0x0A, 0x0A),), negated=True)


def regex_grammar(pattern: str) -> Grammar:
    """The grammar of texts in which `pattern` finds a match (NotCompilable outside the
    subset)."""
    try:
        parsed = list(P.parse(pattern))
    except re.error as exc:
        raise NotCompilable(f"outside the supported subset ({exc})") from None
    anchored_start = bool(parsed) and parsed[0] == (C.AT, C.AT_BEGINNING_STRING) or (
        bool(parsed) and parsed[0] == (C.AT, C.AT_BEGINNING))
    if anchored_start:
        parsed = parsed[1:]
    anchored_end = bool(parsed) and parsed[-1] in ((C.AT, C.AT_END_STRING), (C.AT, C.AT_END))
    dollar = anchored_end and parsed[-1] == (C.AT, C.AT_END)
    if anchored_end:
        parsed = parsed[:-1]
    body = seq(_sequence(parsed), *([rep(Lit("\n"), 0, 1)] if dollar else []))
    around = rep(_ANY, 0, None)
    g = Grammar()
    g.rules["root"] = seq(*([] if anchored_start else [around]), body,
                          *([] if anchored_end else [around]))
    return g


def _sequence(items) -> Expr:
    return seq(*(_node(op, av) for op, av in items))


def _node(op, av) -> Expr:
    if op is C.LITERAL:
        return Lit(chr(av))
    if op is C.NOT_LITERAL:
        return Cls(((av, av),), negated=True)
    if op is C.ANY:
        return _DOT
    if op is C.IN:
        return _class(av)
    if op is C.SUBPATTERN:
        group, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise NotCompilable("inline flags are outside the supported subset")
        return _sequence(sub)
    if op is C.BRANCH:
        return alt(*(_sequence(branch) for branch in av[1]))
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        return rep(_sequence(sub), lo, None if hi is C.MAXREPEAT else hi)
    if op is C.CATEGORY and av in _CATEGORIES:
        return Cls(_CATEGORIES[av])
    raise NotCompilable(f"{str(op).lower()} is outside the supported subset")


def _class(items) -> Cls:
    negated = bool(items) and items[0][0] is C.NEGATE
    ranges: list[tuple[int, int]] = []
    for op, av in items[1:] if negated else items:
        if op is C.LITERAL:
            ranges.append((av, av))
        elif op is C.RANGE:
            ranges.append(av)
        elif op is C.CATEGORY and av in _CATEGORIES and not negated:
            ranges.extend(_CATEGORIES[av])
        else:
            raise NotCompilable(f"{str(op).lower()} in a character class is outside the "
                                f"supported subset")
    return Cls(tuple(ranges), negated)
