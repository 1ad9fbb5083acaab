"""mid_sentence: the share of answers that stop in the middle of a sentence.

A length constraint (or a grammar that forces one) can be met by cutting the answer off; the
pass rate cannot see that, this share can. An answer ends mid-sentence when:

1. it was cut off by the token limit (`finish_reason: length`), whatever its last characters; or
2. its last non-empty line, without its bullet marker, trailing spaces and closing quotes or
   brackets (`"'”’」』）)]】》`), ends
   - on a character that joins to what follows: a comma, colon, semicolon, dash, hyphen or an
     opening bracket (`,` `、` `，` `:` `：` `;` `-` `–` `—` `(` `「` ...);
   - on an English word that cannot end a sentence (an article, conjunction, preposition or
     possessive: `the`, `and`, `of`, `to`, `with`, `their` ...);
   - on a Japanese particle or connective form (`は` `が` `を` `に` `へ` `と` `で` `や` `の` `も`
     `て` `し`, `から`, `けど`, `ため`...) right after kanji, kana or a closing quote (not
     a noun that ends in the same kana: `こと`, `あと`);
   - on no letter at all (a bullet reduced to a number, as a grammar leaves when the budget
     runs out);
   - or, for a line that is not a bullet item, on anything but a sentence end (`.` `!` `?`
     `…` `。` `！` `？` `．`). A bullet item may end without one: items are often noun phrases
     (English) or end on a noun (体言止め, Japanese), so only the endings above count for them.

Empty answers and failed requests are left out (counted under `empty` and `errors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import regex

from distil.kinds import Metric
from distil.text.lines import bullet_marker, non_empty_lines, strip_marker
from distil.types import EvalRecord
from distil_builtin.metrics.intervals import wilson

CLOSERS = "\"'”’」』）)]】》〉｣〕"
SENTENCE_END = ".!?…。！？．｡"
JOINERS = ",、，､:：;；-‐–—―(（「『【〈《[{"
EN_JOINING_WORDS = frozenset("""
a an the and or but nor so yet of to in on at for with from by as into onto than that which
who whose whom if because while although though when where my your his her its our their this
these those is are was were be been being has have had will would can could should may might
must very such about over under between through without within
""".split())
JA_PARTICLES = ("から", "けど", "けれど", "ので", "のに", "ため", "より", "まで", "など", "ながら",
                "は", "が", "を", "に", "へ", "と", "で", "や", "の", "も", "て", "し",
                "って")
KANA_NOUNS = ("こと", "あと", "もと", "ひと", "そと")
_LAST_WORD = regex.compile(r"([\p{L}\p{M}']+)\P{L}*$")
_JA_BEFORE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}ー」』）]")
_LETTER = regex.compile(r"\p{L}")


def ends_mid_sentence(text: str, finish_reason: str | None = None) -> bool | None:
    """True when `text` stops mid-sentence (rules in the module's docstring); None for an
    empty text."""
    lines = non_empty_lines(text)
    if not lines:
        return None
    if finish_reason == "length":
        return True
    last = lines[-1]
    item = bullet_marker(last) is not None
    tail = (strip_marker(last) if item else last).rstrip(CLOSERS + " \t\u3000")
    if not tail or not _LETTER.search(tail):
        return True
    end = tail[-1]
    if end in SENTENCE_END:
        return False
    if end in JOINERS:
        return True
    if _ends_on_particle(tail):
        return True
    word = _LAST_WORD.search(tail)
    if word and word.group(1).casefold() in EN_JOINING_WORDS:
        return True
    return not item


def _ends_on_particle(tail: str) -> bool:
    """A Japanese particle or connective form right after a word (`東京は`, `開いて`); a noun
    that merely ends in the same kana (`こと`, `あと`) is no particle."""
    if tail.endswith(KANA_NOUNS):
        return False
    for particle in JA_PARTICLES:
        body = tail[: -len(particle)]
        if tail.endswith(particle) and body and _JA_BEFORE.match(body[-1]):
            return True
    return False


class MidSentence(Metric):
    """Share of answers that end mid-sentence (cut off), with a 95% Wilson interval."""

    def compute(self, records: Sequence[EvalRecord], context: dict[str, Any]) -> dict[str, Any]:
        judged = [ends_mid_sentence(r.output, r.finish_reason)
                  for r in records if r.output is not None]
        scored = [j for j in judged if j is not None]
        cut = sum(scored)
        n = len(scored)
        return {
            "n": n,
            "mid_sentence": cut,
            "rate": cut / n if n else None,
            "ci95": list(wilson(cut, n)),
            "empty": len(judged) - n,
            "errors": len(records) - len(judged),
        }
