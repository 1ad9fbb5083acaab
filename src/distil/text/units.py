"""Length units: how long an output is, in the unit a recipe asks for (DESIGN.md section 4).

These are the counting rules of distil itself, so they live in the core: the built-in
constraints and any third-party plugin count with the same `measure`.

Every unit starts from the NFC normal form of the output, so the same visible text written with
precomposed or combining characters (`が` or `か` + U+3099) measures the same.

- `chars`: Unicode code points of the whole output as written, newlines and bullet markers
  included. This is Python's `len()` on NFC text, which is what the article this project
  reproduces measured. A CRLF line ending counts as 2.
- `graphemes`: user-perceived characters (UAX #29 extended grapheme clusters, `regex`'s `\\X`):
  `👩‍👩‍👧` is 1 grapheme of 5 code points; CRLF is 1.
- `x_weighted`: X (Twitter) weighted length from the twitter-text rules (twitter-text-parser):
  code points up to U+10FF (Latin, Greek, Cyrillic, Arabic, Indic, Thai...) weigh 1; CJK, kana,
  Hangul and full-width forms 2; an emoji 2; a URL 23. A post may weigh 280. Line endings are
  normalised to LF first, as X does.
- `words`: runs of letters, digits, marks and `_` (inner `'`, `’`, `-`, `.` and zero-width
  joiners keep a word together: `don't`, `state-of-the-art`, `3.14`). Scripts written without
  spaces (Han, Hiragana, Katakana) count one word per character, as word processors count
  them. Punctuation, symbols and emoji are not words.
- `tokens`: tiktoken tokens of the given encoding (default `o200k_base`, the GPT-4o family's),
  loaded as `distil.text.tokens` loads it (litellm's bundled file first, so it works offline);
  an encoding that cannot be loaded at all is a UsageError that says so.

`count: body` leaves out bullet markers (see `lines.py`) and every whitespace character,
newlines included, before counting. For `words` it leaves out the markers only, since whitespace
is what separates words and is never counted. For `graphemes` it counts, line by line, the
clusters of the line without its marker that hold something other than whitespace, so removing
a space or a line break never fuses two clusters into one.
"""

from __future__ import annotations

import unicodedata
import warnings
from typing import Literal

import regex

from distil.text.lines import split_lines, strip_marker
from distil.text.tokens import DEFAULT_ENCODING, no_surrogates, require_encoding

Unit = Literal["chars", "graphemes", "x_weighted", "words", "tokens"]
CountMode = Literal["all", "body"]

#: The noun a feedback sentence uses for each unit, singular and plural.
UNIT_NOUNS: dict[str, tuple[str, str]] = {
    "chars": ("character", "characters"),
    "graphemes": ("grapheme", "graphemes"),
    "x_weighted": ("weighted character", "weighted characters"),
    "words": ("word", "words"),
    "tokens": ("token", "tokens"),
}

_SPACELESS = r"\p{Han}\p{Hiragana}\p{Katakana}\u30fc\u3005\u3006\u303b\uff70"
_LETTER = rf"[\p{{L}}\p{{N}}\p{{M}}\p{{Pc}}--[{_SPACELESS}]]"
_WORD = regex.compile(
    rf"[{_SPACELESS}][\p{{M}}\uff9e\uff9f]*"  # one CJK character (with its voicing marks)
    rf"|{_LETTER}+(?:['’\-.\u200c\u200d]{_LETTER}+)*",
    regex.V1,
)
_GRAPHEME = regex.compile(r"\X")

#: How far past a maximum `x_weighted` keeps counting before it stops (see x_weighted_length).
X_WEIGHT_MARGIN = 10_000


def unit_noun(unit: str, amount: float = 2) -> str:
    """'character' for 1, 'characters' otherwise (and so on for every unit)."""
    singular, plural = UNIT_NOUNS[unit]
    return singular if amount == 1 else plural


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def body_text(text: str, *, keep_whitespace: bool = False) -> str:
    """`text` without bullet markers and (unless `keep_whitespace`) without any whitespace."""
    lines = [strip_marker(line) for line in split_lines(text)]
    if keep_whitespace:
        return "\n".join(lines)
    return "".join(ch for line in lines for ch in line if not ch.isspace())


def measure(text: str, unit: Unit = "chars", count: CountMode = "all",
            encoding: str = DEFAULT_ENCODING, stop_above: int | None = None) -> int:
    """The length of `text` in `unit`, counting all of it or only its body.

    `stop_above` lets `x_weighted`, the one slow unit, stop counting once the text is surely
    longer than that (see `x_weighted_length`); the other units are fast and always exact.
    """
    text = nfc(text)
    if count == "body" and unit == "graphemes":
        # Per line, so that dropping a line break or a space never merges two clusters.
        return sum(1 for line in split_lines(text) for g in _GRAPHEME.findall(strip_marker(line))
                   if not g.isspace())
    if count == "body":
        text = body_text(text, keep_whitespace=unit == "words")
    if unit == "chars":
        return len(text)
    if unit == "graphemes":
        return sum(1 for _ in _GRAPHEME.finditer(text))
    if unit == "words":
        return sum(1 for _ in _WORD.finditer(text))
    if unit == "x_weighted":
        return x_weighted_length(text, stop_above)
    if unit == "tokens":
        return len(require_encoding(encoding).encode_ordinary(no_surrogates(text)))
    raise ValueError(f"unknown unit {unit!r}")


def words(text: str) -> list[str]:
    """The words of `text` as the `words` unit counts them."""
    return _WORD.findall(nfc(text))


def x_weighted_length(text: str, stop_above: int | None = None) -> int:
    """X's weighted length of `text` (twitter-text's rules; imported on first use).

    twitter-text walks the text in Python, about 10 µs a code point: a megabyte takes ten
    seconds. With `stop_above`, only a prefix is weighed, growing fourfold (from `stop_above` + 1
    code points) until it weighs more than `stop_above` or is the whole text. The
    result is exact when the text weighs at most `stop_above`; above it, it is the weight of a
    prefix that already weighs more: a lower bound, give or take what the cut splits (a URL of
    up to 4,096 characters cut in two can weigh a few thousand more, as plain characters, than
    its 23 whole). A caller comparing with a maximum passes the maximum plus a margin above
    that (`X_WEIGHT_MARGIN`), so its verdict is always right.
    """
    with warnings.catch_warnings():
        # twitter-text imports the deprecated pkg_resources; the warning is theirs, not the user's
        warnings.simplefilter("ignore", UserWarning)
        from twitter_text import parse_tweet

    if not text:
        return 0
    text = no_surrogates(text)
    if stop_above is None:
        return parse_tweet(text).weightedLength
    size = max(stop_above, 0) + 1  # enough when every code point weighs at least 1
    while True:
        weight = parse_tweet(text[:size]).weightedLength
        if weight > stop_above or size >= len(text):
            return weight
        size *= 4

