"""A small grammar IR: what the constraint compiler builds and the GBNF writer prints.

Rules hold expressions made of five things: a literal, a character class (code-point ranges,
possibly negated), a reference to another rule, a sequence, a choice, and a bounded repetition
`x{m,n}`. That is the part of llama.cpp's GBNF that distil needs, kept as values so the same
grammar can be printed (`to_gbnf`), matched and sampled (`distil.grammar.match`) without a GBNF
engine of our own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Cls:
    """Any one code point in `ranges` (inclusive pairs), or outside them when `negated`."""

    ranges: tuple[tuple[int, int], ...]
    negated: bool = False

    def contains(self, ch: str) -> bool:
        c = ord(ch)
        inside = any(lo <= c <= hi for lo, hi in self.ranges)
        return inside != self.negated


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Seq:
    items: tuple["Expr", ...]


@dataclass(frozen=True)
class Alt:
    options: tuple["Expr", ...]


@dataclass(frozen=True)
class Rep:
    item: "Expr"
    min: int
    max: int | None  # None: unbounded


Expr = Union[Lit, Cls, Ref, Seq, Alt, Rep]

EMPTY = Seq(())


def seq(*items: Expr) -> Expr:
    """A sequence, flattened, without empty literals; one item stays itself."""
    flat: list[Expr] = []
    for item in items:
        if isinstance(item, Seq):
            flat.extend(item.items)
        elif not (isinstance(item, Lit) and not item.text):
            flat.append(item)
    return flat[0] if len(flat) == 1 else Seq(tuple(flat))


def alt(*options: Expr) -> Expr:
    return options[0] if len(options) == 1 else Alt(tuple(options))


def rep(item: Expr, lo: int, hi: int | None) -> Expr:
    if hi == 0:
        return EMPTY
    if lo == hi == 1:
        return item
    return Rep(item, lo, hi)


@dataclass
class Grammar:
    """Named rules; `root` is where a match starts. Rule names are `[a-z0-9-]+`."""

    rules: dict[str, Expr] = field(default_factory=dict)
    root: str = "root"

    def to_gbnf(self) -> str:
        """llama.cpp's GBNF text, the root rule first."""
        order = [self.root] + [name for name in self.rules if name != self.root]
        return "".join(f"{name} ::= {_expr(self.rules[name], top=True)}\n" for name in order)


# -- GBNF printing ---------------------------------------------------------------------------
_LIT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CLASS_SPECIAL = set("\\]-^[")


def _char(c: int, special: set[str]) -> str:
    ch = chr(c)
    if ch in _LIT_ESCAPES and ch != '"':
        return _LIT_ESCAPES[ch]
    if ch in special:
        return "\\" + ch
    if c < 0x20 or c == 0x7F or not ch.isprintable() and ch != " ":
        return f"\\x{c:02X}" if c < 0x100 else (f"\\u{c:04X}" if c < 0x10000 else f"\\U{c:08X}")
    return ch


def _expr(e: Expr, top: bool = False) -> str:
    if isinstance(e, Lit):
        return '"' + "".join(_LIT_ESCAPES.get(ch, ch) if ch in _LIT_ESCAPES or ch.isprintable()
                             else _char(ord(ch), set()) for ch in e.text) + '"'
    if isinstance(e, Cls):
        body = "".join(_char(lo, _CLASS_SPECIAL) if lo == hi
                       else f"{_char(lo, _CLASS_SPECIAL)}-{_char(hi, _CLASS_SPECIAL)}"
                       for lo, hi in e.ranges)
        return f"[{'^' if e.negated else ''}{body}]"
    if isinstance(e, Ref):
        return e.name
    if isinstance(e, Seq):
        if not e.items:
            return '""'
        text = " ".join(_expr(i) for i in e.items)
        return text if top or len(e.items) == 1 else f"({text})"
    if isinstance(e, Alt):
        text = " | ".join(_expr(o, top=True) for o in e.options)
        return text if top else f"({text})"
    if isinstance(e, Rep):
        inner = _expr(e.item)
        if isinstance(e.item, (Seq, Alt)) and not inner.startswith("("):
            inner = f"({inner})"
        if (e.min, e.max) == (0, None):
            return inner + "*"
        if (e.min, e.max) == (1, None):
            return inner + "+"
        if (e.min, e.max) == (0, 1):
            return inner + "?"
        if e.max is None:
            return f"{inner}{{{e.min},}}"
        if e.min == e.max:
            return f"{inner}{{{e.min}}}"
        return f"{inner}{{{e.min},{e.max}}}"
    raise TypeError(f"not a grammar expression: {e!r}")
