"""The compiled grammar's language is the compiled constraints' language.

For random constraint sets of the compilable kinds: every string sampled from the grammar (IR)
passes every compiled constraint, and for random strings written in the grammar's characters,
the grammar accepts exactly those the constraints pass. llama-cpp-python's parser must read
every grammar printed.
"""

from __future__ import annotations

import random
import time

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from distil.grammar import compile_constraints
from distil.grammar.layout import NON_SPACE, PLAIN_START, TEXT
from distil.grammar.match import accepts, sample
from distil_builtin.constraints.bullets import Bullets
from distil_builtin.constraints.char_count import CharCount
from distil_builtin.constraints.json_schema import JsonSchema
from distil_builtin.constraints.line_count import LineCount
from distil_builtin.constraints.pattern import Regex
from distil_builtin.constraints.word_count import WordCount


def _parses(gbnf: str) -> None:
    from llama_cpp import LlamaGrammar

    LlamaGrammar.from_string(gbnf, verbose=False)  # raises ValueError when it does not parse


def _pick(cls, rng: random.Random) -> str:
    lo, hi = rng.choice(cls.ranges)
    return chr(rng.randint(lo, hi))


@st.composite
def layout_sets(draw):
    """A line structure (or none) and one or two lengths in one unit and mode."""
    constraints = []
    shape = draw(st.sampled_from(["none", "lines", "bullets"]))
    if shape == "lines":
        lo = draw(st.integers(1, 3))
        constraints.append(LineCount(min=lo, max=lo + draw(st.integers(0, 2))))
    elif shape == "bullets":
        constraints.append(Bullets(count=draw(st.integers(1, 3)),
                                   marker=draw(st.sampled_from(["-", "・", "•"]))))
    unit = draw(st.sampled_from(["chars", "words"]))
    count = "all" if unit == "words" else draw(st.sampled_from(["all", "body"]))
    kinds = draw(st.sampled_from([("total",), ("per_line",), ("total", "per_line")]))
    for kind in kinds:
        per_line = kind == "per_line"
        scale = 12 if per_line else 30
        lo = draw(st.integers(0, scale))
        hi = lo + draw(st.integers(0, scale))
        if unit == "words" and draw(st.booleans()):
            constraints.append(WordCount(min=lo or None, max=hi, per_line=per_line))
        else:
            constraints.append(CharCount(min=lo, max=hi, unit=unit, count=count,
                                         per_line=per_line))
    return constraints


def _candidate(rng: random.Random, constraints) -> str:
    """A random text in the grammar's characters, near the constraints' bounds."""
    bullets = next((c for c in constraints if isinstance(c, Bullets)), None)
    words = any(getattr(c, "unit", "words") == "words" for c in constraints
                if isinstance(c, (CharCount, WordCount)))
    body = any(getattr(c, "count", "all") == "body" for c in constraints)
    n_lines = rng.randint(1, 5)
    lines = []
    for _ in range(n_lines):
        size = rng.choice([rng.randint(1, 8), rng.randint(1, 40)])
        if words:
            text = " ".join("".join(rng.choice("abcxyz") for _ in range(rng.randint(1, 4)))
                            for _ in range(size)) + rng.choice(["", ".", "!"])
        else:
            first = NON_SPACE if bullets else PLAIN_START
            rest = NON_SPACE if body else TEXT
            text = _pick(first, rng) + "".join(_pick(rest, rng) for _ in range(size - 1))
        if bullets:
            marker = bullets.marker or "-"
            text = (marker if marker in "・•" else marker + " ") + text
        lines.append(text)
    return "\n".join(lines)


@settings(max_examples=60, deadline=None)
@given(layout_sets(), st.integers(0, 2**32))
def test_layout_grammar_is_the_constraints_language(constraints, seed):
    result = compile_constraints(constraints)
    assert not result.skipped or result.gbnf is None, result.skipped
    if result.gbnf is None:  # bounds with no output at all
        assert "no output" in result.skipped[0][1]
        return
    _parses(result.gbnf)
    rng = random.Random(seed)
    for _ in range(15):
        text = sample(result.grammar, rng)
        assert all(c.check(text).passed for c in constraints), (text, result.gbnf)
    for _ in range(40):
        text = _candidate(rng, constraints)
        passed = all(c.check(text).passed for c in constraints)
        assert accepts(result.grammar, text) == passed, (text, passed, result.gbnf)


PATTERNS = [r"\A[0-9]{3}-[0-9]{4}\Z", r"^(yes|no)$", r"TODO", r"\A\d+(\.\d{1,2})?\Z",
            r"\A[a-z]+( [a-z]+){0,3}\.\Z", r"\A[^x\n]{2,5}\Z", r"ab?c+", r"\A.\Z"]


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_regex_grammar_is_the_patterns_language(pattern, data):
    constraint = Regex(pattern=pattern)
    result = compile_constraints([constraint])
    assert result.compiled == [constraint.name]
    _parses(result.gbnf)
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    text = sample(result.grammar, rng)
    assert constraint.check(text).passed, text
    ascii_pattern = pattern.replace(r"\d", "[0-9]")  # the grammar's \d is ASCII
    matching = data.draw(st.from_regex(regex.compile(ascii_pattern).pattern))
    assert accepts(result.grammar, matching), matching


@pytest.mark.parametrize("pattern, why", [
    (r"(?<=a)b", "assert"), (r"(a)\1", "groupref"), (r"\bword", "at"), (r"[^\d]", "category"),
])
def test_regex_outside_the_subset_says_what(pattern, why):
    result = compile_constraints([Regex(pattern=pattern)])
    assert result.gbnf is None
    (name, reason), = result.skipped
    assert why in reason and "subset" in reason


def test_units_without_a_grammar_are_named_and_left_to_checking():
    bullets, x, not_x = (Bullets(count=2), CharCount(max=280, unit="x_weighted"),
                         Regex(pattern="x", must="not_match"))
    result = compile_constraints([bullets, x, not_x])
    assert result.compiled == [bullets.name]
    reasons = dict(result.skipped)
    assert "x_weighted" in reasons[x.name] and "not_match" in reasons[not_x.name]


def test_a_second_unit_is_left_to_checking():
    chars, words = CharCount(max=50), WordCount(max=8)
    result = compile_constraints([chars, words])
    assert result.compiled == [chars.name]
    assert "counts words" in dict(result.skipped)[words.name]


def test_json_schema_compiles_through_llama_cpp_and_stands_alone():
    schema = {"type": "object", "properties": {"title": {"type": "string"}},
              "required": ["title"]}
    json_c, lines = JsonSchema(schema=schema), LineCount(count=1)
    result = compile_constraints([json_c, lines])
    assert result.compiled == [json_c.name] and result.grammar is None
    assert "title" in result.gbnf
    _parses(result.gbnf)
    assert "does not combine" in dict(result.skipped)[lines.name]


def test_three_bullets_in_95_to_105_chars_is_small_and_fast():
    constraints = [Bullets(count=3, marker="・"), CharCount(min=95, max=105)]
    started = time.perf_counter()
    result = compile_constraints(constraints)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.05 and len(result.gbnf.encode()) < 50_000
    assert "{" in result.gbnf  # the last line is one bounded repetition, not a chain
    _parses(result.gbnf)
    rng = random.Random(3)
    texts = [sample(result.grammar, rng) for _ in range(20)]
    assert all(t.count("\n") == 2 and all(line.startswith("・") for line in t.split("\n"))
               and 95 <= len(t) <= 105 for t in texts)


def test_per_line_names_the_offending_line():
    blurb = CharCount(max=10, per_line=True)
    verdict = blurb.check("short one\n\nthis line is far too long\nok")
    assert not verdict.passed and verdict.measured["line"] == 3
    assert "Line 3 is 15 characters over" in verdict.feedback
    assert blurb.check("short one\nok").passed
    words = WordCount(min=2, per_line=True)
    verdict = words.check("two words\nthree more words\nalone")
    assert not verdict.passed and verdict.measured["line"] == 3
    assert "line 3 longer" in verdict.feedback


def test_bullets_marker_is_checked():
    bullets = Bullets(count=2, marker="・")
    assert bullets.check("・一\n・二").passed
    verdict = bullets.check("・一\n- 二")
    assert not verdict.passed and "Start every bullet with ・" in verdict.feedback


def test_the_empty_output_is_in_the_grammar_exactly_when_it_passes():
    for constraints in ([CharCount(max=5)], [CharCount(min=0, max=0)], [LineCount(max=2)]):
        result = compile_constraints(constraints)
        assert accepts(result.grammar, "") and all(c.check("").passed for c in constraints)
    result = compile_constraints([CharCount(min=1, max=5)])
    assert not accepts(result.grammar, "") and not CharCount(min=1, max=5).check("").passed


@pytest.mark.parametrize("text", ["・abc", "- abc", "1. abc", "•abc", "１．ab"])
def test_body_counts_never_meet_a_plain_line_that_reads_as_a_bullet(text):
    constraint = CharCount(min=4, max=6, count="body")
    result = compile_constraints([constraint])
    assert accepts(result.grammar, text) == constraint.check(text).passed
