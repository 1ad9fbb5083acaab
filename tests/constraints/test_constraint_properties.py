"""Properties every built-in constraint keeps, on any Unicode text (hypothesis).

The properties every constraint must keep are `distil.testing.check_constraint_properties`,
the same function a third-party author calls; the counting rules' own properties follow.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from distil.plugins import get_host
from distil.testing import check_constraint_properties, constraint_texts
from distil.text import measure, tolerance_range

from .conftest import make

FAST = settings(max_examples=60, deadline=None)

#: At least one configuration of every built-in constraint; the coverage test keeps it complete.
CONFIGS: dict[str, list[dict]] = {
    "char_count": [
        {"target": 20, "tolerance": 0.1},
        {"min": 3, "max": 8, "unit": "graphemes"},
        {"max": 10, "unit": "x_weighted"},
        {"min": 2, "max": 5, "unit": "words", "count": "body"},
        {"target": 10, "count": "body"},
    ],
    "x_post": [{}, {"max": 12}],
    "line_count": [{"count": 2}, {"min": 1, "max": 3}],
    "bullets": [{"count": 2}],
    "word_count": [{"min": 2, "max": 4}, {"count": 3}],
    "sentence_count": [{"min": 1, "max": 2}, {"count": 2, "line_breaks": True}],
    "regex": [{"pattern": r"\d"}, {"pattern": "^・", "must": "not_match", "flags": ["multiline"]}],
    "json_schema": [{"schema": {"type": "object"}, "allow_fence": True}],
    "all_of": [{"constraints": [{"char_count": {"max": 10}}, {"line_count": {"max": 2}},
                                {"regex": {"pattern": "x", "must": "not_match"}}]}],
}

#: Words a default feedback sentence uses for "too much" and for "too little". bullets says
#: "fewer"/"Add" only while every line is a bullet (see the test below).
DIRECTION = {
    "char_count": ("shorter", "longer"),
    "x_post": ("shorter", "longer"),
    "line_count": ("fewer", "more"),
    "word_count": ("shorter", "longer"),
    "sentence_count": ("fewer", "more"),
}

mixed_text = constraint_texts()


def test_every_builtin_constraint_has_property_configs():
    registry = get_host().registry("constraint")
    ours = {e.name for e in registry.entries.values()
            if e.cls.__module__.startswith("distil_builtin.constraints.")}
    assert ours == set(CONFIGS)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_builtin_keeps_the_constraint_properties(name):
    cls = get_host().get("constraint", name)
    check_constraint_properties(cls, CONFIGS[name], direction=DIRECTION.get(name),
                                max_examples=60)


@FAST
@given(mixed_text)
def test_bullets_feedback_direction_matches_the_sign(text):
    constraint = make("bullets", count=2)
    verdict = constraint.check(text)
    if verdict.measured["non_bullet_lines"]:
        assert verdict.distance > 0
    elif verdict.distance > 0:
        assert "fewer" in verdict.feedback and "Add" not in verdict.feedback
    elif verdict.distance < 0:
        assert "Add" in verdict.feedback and "fewer" not in verdict.feedback


@FAST
@given(mixed_text, st.integers(0, 60), st.integers(0, 60))
def test_char_count_distance_is_the_signed_gap_to_the_range(text, a, b):
    lo, hi = min(a, b), max(a, b)
    verdict = make("char_count", min=lo, max=hi).check(text)
    n = len(unicodedata.normalize("NFC", text))
    assert verdict.measured["count"] == n
    expected = n - hi if n > hi else n - lo if n < lo else 0
    assert verdict.distance == expected


@FAST
@given(st.text(), st.text())
def test_code_points_add_up_over_concatenation(a, b):
    # A line break is a starter that composes with nothing, so NFC cannot join across it.
    assert measure(a + "\n" + b) == measure(a) + 1 + measure(b)


@FAST
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Mn", "Mc", "Me", "Cs"),
                             exclude_characters="".join(map(chr, range(0x1100, 0x1200))))),
       st.text(st.characters(codec="utf-8", exclude_categories=("Mn", "Mc", "Me", "Cs"),
                             exclude_characters="".join(map(chr, range(0x1100, 0x1200))))))
def test_code_points_add_up_without_combining_characters(a, b):
    assume(unicodedata.is_normalized("NFC", a) and unicodedata.is_normalized("NFC", b))
    assert measure(a + b) == measure(a) + measure(b)


@FAST
@given(mixed_text, mixed_text)
def test_body_counts_add_up_over_lines(a, b):
    for unit in ("chars", "graphemes", "words"):
        assert measure(a + "\n" + b, unit, "body") == (
            measure(a, unit, "body") + measure(b, unit, "body")), unit


@FAST
@given(mixed_text, mixed_text)
def test_graphemes_and_words_add_up_over_a_line_break(a, b):
    assume(not a.endswith("\r"))  # CR LF is one grapheme
    assert measure(a + "\n" + b, "graphemes") == (
        measure(a, "graphemes") + 1 + measure(b, "graphemes"))
    assert measure(a + "\n" + b, "words") == measure(a, "words") + measure(b, "words")


@FAST
@given(mixed_text)
def test_nfd_and_nfc_forms_measure_the_same(text):
    nfd = unicodedata.normalize("NFD", text)
    for unit in ("chars", "graphemes", "words", "x_weighted"):
        for count in ("all", "body"):
            assert measure(nfd, unit, count) == measure(text, unit, count), (unit, count)


@FAST
@given(mixed_text)
def test_body_is_never_longer_than_all(text):
    for unit in ("chars", "graphemes", "words"):
        assert measure(text, unit, "body") <= measure(text, unit)


@FAST
@given(st.integers(0, 10_000), st.integers(0, 100).map(lambda k: k / 100))
def test_tolerance_range_is_the_widest_whole_range_inside_the_interval(target, tolerance):
    from fractions import Fraction

    r = tolerance_range(target, tolerance)
    slack = Fraction(target) * Fraction(str(tolerance))
    assert r.min is not None and r.max is not None
    assert r.min <= target <= r.max
    for n in (r.min, r.max):
        assert abs(n - target) <= slack
    assert abs(r.max + 1 - target) > slack
    if r.min > 0:
        assert abs(r.min - 1 - target) > slack
