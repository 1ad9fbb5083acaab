"""What a line and a bullet are: the one place every constraint asks.

Lines are split the way `str.splitlines()` splits them (LF, CRLF, a lone CR, and the Unicode line
and paragraph separators), so an output written with Windows line endings has the same lines as
one written with LF. A line is *empty* when it holds only whitespace.

A bullet line starts (after optional indentation) with one of the markers below. Typographic
markers (`・ ･ • ●`) and circled numbers (`①`..`⑳`) need nothing after them, because Japanese
writes `・本文` without a space. ASCII markers (`-`, `*`, `1.`, `1)`) must be followed by
whitespace or the end of the line, so `-5 degrees`, `*emphasis*` and `1.5 million` are not
bullets. Numbers may be written in ASCII or full-width digits (`１.`); a full-width `．` or `）`
after the number needs no space (`１．本文`).
"""

from __future__ import annotations

import regex

#: Markers that need no space after them.
TIGHT_MARKERS = "・･•●"
CIRCLED_NUMBERS = "".join(chr(c) for c in range(0x2460, 0x2474))  # ①..⑳

_MARKER = regex.compile(
    r"""
    ^(?P<indent>[^\S\r\n]*)
    (?P<marker>
        [""" + TIGHT_MARKERS + CIRCLED_NUMBERS + r"""]
      | [-*](?=\s|$)
      | [0-9０-９]{1,3}[.)](?=\s|$)
      | [0-9０-９]{1,3}[．）]
    )
    [^\S\r\n]*
    """,
    regex.VERBOSE,
)


def split_lines(text: str) -> list[str]:
    """The lines of `text`, without their line endings."""
    return text.splitlines()


def non_empty_lines(text: str) -> list[str]:
    """Lines that hold something other than whitespace."""
    return [line for line in split_lines(text) if line.strip()]


def bullet_marker(line: str) -> str | None:
    """The marker `line` starts with (e.g. `・`, `-`, `1.`, `②`), or None."""
    m = _MARKER.match(line)
    return m.group("marker") if m else None


def strip_marker(line: str) -> str:
    """`line` without its indentation, bullet marker and the spaces after it."""
    m = _MARKER.match(line)
    return line[m.end():] if m else line
