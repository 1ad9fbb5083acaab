"""Matching and sampling over the grammar IR, so tests can check what the compiler emits.

Not a GBNF engine: it walks `distil.grammar.ir` values, the same ones `to_gbnf` prints.
`accepts` computes, for each expression and start position, the set of positions where a match
can end (memoised per rule and position), which handles the IR's choices and repetitions
without backtracking blow-ups. `sample` draws one string by random choices; every rule the
compiler emits can finish, so a walk always ends.
"""

from __future__ import annotations

import random
import sys

from distil.grammar.ir import Alt, Cls, Expr, Grammar, Lit, Ref, Rep, Seq

# Code points a negated class is sampled from (printable ASCII, kana, a few kanji).
_SAMPLE_POOL = [chr(c) for c in (*range(0x20, 0x7F), *range(0x3041, 0x3097), 0x4E00, 0x65E5)]


def accepts(grammar: Grammar, text: str) -> bool:
    """Whether the whole of `text` is in the grammar's language."""
    memo: dict[tuple[str, int], frozenset[int]] = {}
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20_000))
    try:
        return len(text) in _ends(grammar, Ref(grammar.root), text, 0, memo)
    finally:
        sys.setrecursionlimit(old)


def _ends(g: Grammar, e: Expr, text: str, pos: int,
          memo: dict[tuple[str, int], frozenset[int]]) -> frozenset[int]:
    if isinstance(e, Lit):
        return frozenset({pos + len(e.text)}) if text.startswith(e.text, pos) else frozenset()
    if isinstance(e, Cls):
        return frozenset({pos + 1}) if pos < len(text) and e.contains(text[pos]) else frozenset()
    if isinstance(e, Ref):
        key = (e.name, pos)
        if key not in memo:
            memo[key] = frozenset()  # a left-recursive loop finds nothing new
            memo[key] = _ends(g, g.rules[e.name], text, pos, memo)
        return memo[key]
    if isinstance(e, Seq):
        here = frozenset({pos})
        for item in e.items:
            here = frozenset(end for p in here for end in _ends(g, item, text, p, memo))
            if not here:
                break
        return here
    if isinstance(e, Alt):
        return frozenset(end for o in e.options for end in _ends(g, o, text, pos, memo))
    if isinstance(e, Rep):
        result: set[int] = {pos} if e.min == 0 else set()
        frontier, count, seen = {pos}, 0, {pos}
        while frontier and (e.max is None or count < e.max):
            count += 1
            frontier = {end for p in frontier for end in _ends(g, e.item, text, p, memo)}
            if e.max is None:
                frontier -= seen
                seen |= frontier
            if count >= e.min:
                result |= frontier
        return frozenset(result)
    raise TypeError(f"not a grammar expression: {e!r}")


def sample(grammar: Grammar, rng: random.Random, max_extra: int = 3) -> str:
    """One string of the grammar's language, drawn by random choices.

    An unbounded repetition `x{m,}` repeats m to m + `max_extra` times.
    """
    out: list[str] = []
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20_000))
    try:
        _draw(grammar, Ref(grammar.root), rng, out, max_extra)
    finally:
        sys.setrecursionlimit(old)
    return "".join(out)


def _draw(g: Grammar, e: Expr, rng: random.Random, out: list[str], extra: int) -> None:
    if isinstance(e, Lit):
        out.append(e.text)
    elif isinstance(e, Cls):
        if e.negated or sum(hi - lo + 1 for lo, hi in e.ranges) > 0x10000:
            out.append(rng.choice([c for c in _SAMPLE_POOL if e.contains(c)]))
        else:
            lo, hi = rng.choice(e.ranges)
            out.append(chr(rng.randint(lo, hi)))
    elif isinstance(e, Ref):
        _draw(g, g.rules[e.name], rng, out, extra)
    elif isinstance(e, Seq):
        for item in e.items:
            _draw(g, item, rng, out, extra)
    elif isinstance(e, Alt):
        _draw(g, rng.choice(e.options), rng, out, extra)
    elif isinstance(e, Rep):
        hi = e.max if e.max is not None else e.min + extra
        for _ in range(rng.randint(e.min, hi)):
            _draw(g, e.item, rng, out, extra)
    else:
        raise TypeError(f"not a grammar expression: {e!r}")
