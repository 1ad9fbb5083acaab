"""Property tests for constraints: what every constraint must keep, on any text a model writes.

`check_constraint_properties(cls, configs)` draws texts with hypothesis (arbitrary Unicode,
and pieces that trip checks up: kana with combining marks, half- and full-width forms, bullet
and numbered markers, every line ending, emoji sequences, URLs, tabs, ideographic spaces, lone
surrogates) and asserts, for a constraint built from each config:

1. `check` returns a `Verdict` and never raises;
2. it passed exactly when its distance is 0, and the distance is a finite number;
3. a pass carries no feedback; a failure carries one line of feedback that ends like a
   sentence (`.`, `。`, `!`, `?`, closing quotes and brackets allowed after it);
4. the verdict is named after the constraint and `to_dict()` is strict JSON;
5. the same text gives the same verdict twice, and from a freshly built constraint;
6. a counting verdict (one whose `measured` holds `count`, `min` and `max`, as
   `distil.kinds.CountRange`'s do) has the signed distance to that range (positive over,
   negative under), and its default feedback says how far: the size of the gap, or the count
   found together with the bound it broke;
7. with `direction=("shorter", "longer")`, a failure over the range says the first word and not
   the second, and one under says the second and not the first.

Failures are AssertionErrors that name the constraint, its config and the property; hypothesis
prints the smallest text that breaks it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import regex

from distil.kinds import Constraint
from distil.types import Document, Verdict

#: Pieces a text is built from, besides arbitrary characters.
AWKWARD_PIECES = (
    "・", "- ", "* ", "1. ", "2) ", "１．", "①", "\n", "\r\n", "\r", "\u2028", " ", "\t", "\u3000",
    "。", ".", "!", "?", "あ", "が", "か\u3099", "ｶﾞ", "ＡＢＣ", "word", "don't",
    "👩\u200d👩\u200d👧", "https://example.com", "\u0301", "\ud800", "{}", '{"a": 1}', "7", "3.14",
)
_SENTENCE_END = ".。!?！？"
_CLOSERS = "\"'”’」』)）]】"
_NUMBER = regex.compile(r"\d+")


def constraint_texts() -> Any:
    """A hypothesis strategy of texts: arbitrary Unicode, or awkward pieces run together."""
    from hypothesis import strategies as st

    pieces = st.one_of(st.sampled_from(AWKWARD_PIECES), st.text(max_size=3))
    return st.one_of(st.text(), st.lists(pieces, max_size=30).map("".join))


def check_constraint_properties(cls: type[Constraint], configs: Sequence[Mapping[str, Any]], *,
                                direction: tuple[str, str] | None = None,
                                texts: Any = None, doc: Document | None = None,
                                max_examples: int = 100,
                                context: Mapping[str, Any] | None = None) -> None:
    """Run the property tests above on `cls` built from each of `configs` (its options).

    `texts` replaces the strategy of texts (pass one that reaches your constraint's passing
    side too, e.g. JSON for a JSON check); `doc` is passed to `check`; `context` is the
    validation context the constraint is built with (a `base_dir` for relative paths).
    """
    from hypothesis import HealthCheck, given, settings

    if not (isinstance(cls, type) and issubclass(cls, Constraint)):
        raise TypeError(f"{cls!r} is not a distil Constraint subclass")
    if not configs:
        raise ValueError("give at least one config (a dict of the constraint's options)")
    configs = [dict(c) for c in configs]
    built = [_build(cls, c, context) for c in configs]

    @settings(max_examples=max_examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(texts if texts is not None else constraint_texts())
    def properties(text: str) -> None:
        for config, constraint in zip(configs, built):
            where = f"{cls.__name__}({config})"
            verdict = _checked(constraint, text, doc, where)
            _expect(verdict.constraint == constraint.name,
                    where, f"verdict is named {verdict.constraint!r}, not {constraint.name!r}")
            _verdict_invariants(verdict, where)
            _deterministic(constraint, _build(cls, config, context), text, doc, verdict, where)
            _counting(verdict, where)
            if direction is not None:
                _direction(verdict, direction, where)

    properties()


def _build(cls: type[Constraint], config: dict[str, Any],
           context: Mapping[str, Any] | None) -> Constraint:
    return cls.model_validate(config, context=dict(context) if context else None)


def _expect(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise AssertionError(f"{where}: {what}")


def _checked(constraint: Constraint, text: str, doc: Document | None, where: str) -> Verdict:
    try:
        verdict = constraint.check(text, doc)
    except Exception as exc:
        raise AssertionError(f"{where}: check raised {type(exc).__name__}: {exc}") from exc
    _expect(isinstance(verdict, Verdict), where, f"check returned {verdict!r}, not a Verdict")
    return verdict


def _verdict_invariants(v: Verdict, where: str) -> None:
    _expect(isinstance(v.distance, (int, float)) and math.isfinite(v.distance),
            where, f"distance {v.distance!r} is not a finite number")
    _expect(v.passed == (v.distance == 0), where,
            f"passed={v.passed} with distance {v.distance}: it passes exactly at distance 0")
    if v.passed:
        _expect(v.feedback is None, where, f"a pass has feedback {v.feedback!r}")
    else:
        _expect(bool(v.feedback and v.feedback.strip()), where, "a failure has no feedback")
        assert v.feedback is not None
        _expect("\n" not in v.feedback and "\r" not in v.feedback, where,
                f"feedback is not one line: {v.feedback!r}")
        end = v.feedback.rstrip().rstrip(_CLOSERS)[-1:]
        _expect(end != "" and end in _SENTENCE_END, where,
                f"feedback does not end like a sentence: {v.feedback!r}")
    try:
        json.dumps(v.to_dict(), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"{where}: to_dict() is not JSON: {exc}") from exc


def _deterministic(constraint: Constraint, fresh: Constraint, text: str, doc: Document | None,
                   first: Verdict, where: str) -> None:
    again = _checked(constraint, text, doc, where).to_dict()
    _expect(again == first.to_dict(), where, f"a second check gave another verdict: {again}")
    other = _checked(fresh, text, doc, where).to_dict()
    _expect(other == first.to_dict(), where,
            f"a freshly built constraint gave another verdict: {other}")


def _counting(v: Verdict, where: str) -> None:
    m = v.measured
    if not all(k in m for k in ("count", "min", "max")):
        return
    n, lo, hi = m["count"], m["min"], m["max"]
    if not isinstance(n, int) or isinstance(n, bool):
        return
    gap = n - hi if hi is not None and n > hi else n - lo if lo is not None and n < lo else 0
    _expect(v.distance == gap, where,
            f"count {n} against {lo}..{hi} is {gap:+d} from the range, distance says "
            f"{v.distance}")
    if v.passed or v.feedback is None:
        return
    numbers = {int(x) for x in _NUMBER.findall(v.feedback)}
    bound = hi if gap > 0 else lo
    _expect(abs(gap) in numbers or (n in numbers and bound in numbers), where,
            f"feedback does not say how far off ({gap:+d}; count {n}, bound {bound}): "
            f"{v.feedback!r}")


def _direction(v: Verdict, direction: tuple[str, str], where: str) -> None:
    if v.passed or not v.feedback:
        return
    more, less = direction  # the words for "too much" and for "too little"
    if v.distance > 0:
        _expect(more in v.feedback and less not in v.feedback, where,
                f"over by {v.distance} but the feedback does not say {more!r}: {v.feedback!r}")
    else:
        _expect(less in v.feedback and more not in v.feedback, where,
                f"under by {-v.distance} but the feedback does not say {less!r}: {v.feedback!r}")
