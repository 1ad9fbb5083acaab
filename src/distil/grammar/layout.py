"""Lines and lengths as a grammar: the output as non-empty lines, each optionally a bullet,
with lengths counted as distil counts them (`distil.text.measure`).

The characters a line may hold are a fixed repertoire (`TEXT`): printable ASCII, Latin-1,
general punctuation, CJK punctuation, kana, the CJK unified ideographs and full-width forms.
Every one of them is its own NFC form, composes with no neighbour and is one grapheme, so a
string of n of them measures n in `chars` and in `graphemes` whatever NFC does. A line starts
with a non-space character; a plain line (no bullet required) does not start with a character
that could begin a bullet marker, so `count: body` never strips what the grammar counted.
Words are ASCII: a word is a letter then letters or digits, separated by a space (after an
optional `,` `.` `;` `:` `!` `?`); a line may end in `.` `!` or `?`.

With only per-line bounds (or a total the line bounds already imply) the grammar is closed:
`line ("\\n" line){a,b}` with `unit{m,n}` per line. A binding total over several lines is still
regular: the compiler walks the states (line, units so far, units on this line) from the
start, keeps those from which an end is reachable, and writes one rule per state; the last line
of every path, which has no choice left but its length, becomes a single `unit{m,n}`. The
grammar for three bullets of 95 to 105 characters in total has about 300 rules.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from distil.grammar.ir import Cls, Expr, Grammar, Lit, Ref, alt, rep, seq
from distil.grammar.pieces import Length, Lines, NotCompilable
from distil.text import measure

_TEXT_RANGES = ((0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x205E),
                (0x3000, 0x3029), (0x3030, 0x303F), (0x3041, 0x3096), (0x309B, 0x30FF),
                (0x4E00, 0x9FFF), (0xFF01, 0xFF9D))
_SPACES = {0x20, 0xA0, 0x3000}
_MARKER_STARTS = {ord(c) for c in "-*0123456789・･•"} | set(range(0xFF10, 0xFF1A))

#: Bullet markers a grammar can write (numbered markers change from line to line).
MARKERS = ("-", "*", "・", "･", "•", "●")
_TIGHT = "・･•●"


def _without(ranges: tuple[tuple[int, int], ...], drop: set[int]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for lo, hi in ranges:
        start = lo
        for c in range(lo, hi + 1):
            if c in drop:
                if start < c:
                    out.append((start, c - 1))
                start = c + 1
        if start <= hi:
            out.append((start, hi))
    return tuple(out)


TEXT = Cls(_TEXT_RANGES)
NON_SPACE = Cls(_without(_TEXT_RANGES, _SPACES))
PLAIN_START = Cls(_without(_TEXT_RANGES, _SPACES | _MARKER_STARTS))
_LETTER = Cls(((0x41, 0x5A), (0x61, 0x7A)))
_ALNUM = Cls(((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)))


def marker_prefix(marker: str) -> str:
    """What a bullet line starts with: `・` needs nothing after it, `-` needs a space."""
    return marker if marker in _TIGHT else marker + " "


@dataclass(frozen=True)
class _Units:
    """How one unit is written: the first of a line, the next ones, and a line's end."""

    first: Expr
    rest: Expr
    tail: Expr
    newline: int  # what a line break costs in this unit
    marker: int  # what the bullet prefix costs


def _units(unit: str, count: str, prefix: str) -> _Units:
    if unit == "words":
        if prefix and measure(prefix, "words", count):
            raise NotCompilable(f"the marker {prefix.strip()!r} counts as a word")
        sep = seq(rep(Cls(tuple((ord(c), ord(c)) for c in ",.;:!?")), 0, 1), Lit(" "))
        end = rep(Cls(tuple((ord(c), ord(c)) for c in ".!?")), 0, 1)
        return _Units(Ref("word"), seq(sep, Ref("word")), end, 0, 0)
    start = NON_SPACE if prefix else PLAIN_START
    if count == "body":
        return _Units(start, NON_SPACE, Lit(""), 0, 0)
    return _Units(start, TEXT, Lit(""), 1, len(prefix))


def compile_layout(lines: Lines, total: Length | None, per_line: Length | None) -> Grammar:
    """The grammar of outputs with `lines`, a `total` length and a `per_line` length (the
    last two in the same unit and count mode).

    The empty output is in it when nothing asks for a line or a length above 0 (it has no
    line to judge, so a per-line minimum of 0 is met).
    """
    empty_ok = not lines.min and not (total and total.min) and not (per_line and per_line.min)
    try:
        g = _non_empty(lines, total, per_line)
    except NotCompilable:
        if not empty_ok:
            raise
        return Grammar({"root": Lit("")})
    if empty_ok:
        g.rules["root"] = alt(g.rules["root"], Lit(""))
    return g


def _non_empty(lines: Lines, total: Length | None, per_line: Length | None) -> Grammar:
    length = total or per_line
    unit, count = (length.unit, length.count) if length else ("chars", "all")
    prefix = marker_prefix(lines.marker) if lines.marker else ""
    u = _units(unit, count, prefix)
    a = max(lines.min or 1, 1)
    b = lines.max
    cp, cq = 1, None  # units of content on one line
    if per_line is not None:
        cp = max(1, (per_line.min or 0) - u.marker)
        cq = None if per_line.max is None else per_line.max - u.marker
    t1 = total.min if total and total.min else None
    t2 = total.max if total else None
    if (b is not None and b < a) or (cq is not None and cq < cp) or (
            t2 is not None and u.marker + cp > t2):
        raise NotCompilable("no output satisfies these bounds together")
    g = Grammar()
    g.rules["root"] = Lit("")  # placeholder, so the root prints first
    if u.first == Ref("word"):
        g.rules["word"] = seq(_LETTER, rep(_ALNUM, 0, None))
    # Named once and referred to everywhere: the classes are long, the rules many.
    g.rules["head"] = seq(Lit(prefix), u.first)
    g.rules["unit"] = u.rest
    head, u = Ref("head"), _Units(u.first, Ref("unit"), u.tail, u.newline, u.marker)
    line = seq(head, rep(u.rest, cp - 1, None if cq is None else cq - 1), u.tail)
    least = a * (u.marker + cp) + (a - 1) * u.newline
    most = None if b is None or cq is None else b * (u.marker + cq) + (b - 1) * u.newline
    binding = (t1 is not None and t1 > least) or (t2 is not None and (most is None or most > t2))
    if not binding:
        g.rules["line"] = line
        g.rules["root"] = seq(Ref("line"), rep(seq(Lit("\n"), Ref("line")), a - 1,
                                                   None if b is None else b - 1))
        return g
    return _walk(g, u, head, a, b, cp, cq, t1, t2)


def _walk(g: Grammar, u: _Units, head: Expr, a: int, b: int | None, cp: int, cq: int | None,
          t1: int | None, t2: int | None) -> Grammar:
    """One rule per live state (line k, cost so far s, units on this line j)."""
    kcap = b if b is not None else a
    scap = t2 if t2 is not None else (t1 or 0)  # s never passes t2: moves stop there
    jcap = cq if cq is not None else cp
    step = u.newline + u.marker + 1

    def norm(k: int, s: int, j: int) -> tuple[int, int, int]:
        return min(k, kcap), min(s, scap), min(j, jcap)

    def closed(k: int, s: int, j: int) -> bool:  # no line break possible from here on
        return (b is not None and k >= b) or (
            t2 is not None and s + max(0, cp - j) + step > t2)

    def moves(state):
        k, s, j = state
        if closed(k, s, j):
            return []
        out = []
        if (cq is None or j < cq) and (t2 is None or s + 1 <= t2):
            out.append(("unit", norm(k, s + 1, j + 1)))
        if j >= cp and (t2 is None or s + step <= t2):
            out.append(("line", norm(k + 1, s + step, 1)))
        return out

    def final_range(k: int, s: int, j: int) -> tuple[int, int | None] | None:
        if k < a:
            return None
        lo = max(0, cp - j, (t1 or 0) - s)
        his = [h for h in (None if cq is None else cq - j, None if t2 is None else t2 - s)
               if h is not None]
        hi = min(his) if his else None
        return None if hi is not None and lo > hi else (lo, hi)

    def accepting_now(state) -> bool:
        k, s, j = state
        return (k >= a and j >= cp and (t1 is None or s >= t1)) and not closed(k, s, j)

    start = norm(1, u.marker + 1, 1)
    seen, order, queue = {start}, [start], deque([start])
    edges: dict[tuple, list] = {}
    while queue:
        state = queue.popleft()
        edges[state] = moves(state)
        for _, nxt in edges[state]:
            if nxt not in seen:
                seen.add(nxt)
                order.append(nxt)
                queue.append(nxt)
    live = {s for s in order if (closed(*s) and final_range(*s) is not None)
            or accepting_now(s)}
    changed = True
    while changed:  # backward closure: live if a move leads to a live state
        changed = False
        for state in order:
            if state not in live and any(n in live for _, n in edges[state]):
                live.add(state)
                changed = True
    if start not in live:
        raise NotCompilable("no output satisfies these bounds together")
    name = {s: f"l{s[0]}-{s[1]}-{s[2]}" for s in order if s in live}
    for state in order:
        if state not in live:
            continue
        if closed(*state):
            lo, hi = final_range(*state)
            g.rules[name[state]] = seq(rep(u.rest, lo, hi), u.tail)
            continue
        options: list[Expr] = []
        for kind, nxt in edges[state]:
            if nxt in live:
                options.append(seq(u.rest, Ref(name[nxt])) if kind == "unit"
                               else seq(u.tail, Lit("\n"), head, Ref(name[nxt])))
        if accepting_now(state):
            options.append(u.tail)
        g.rules[name[state]] = alt(*options)
    g.rules["root"] = seq(head, Ref(name[start]))
    return g

