"""char_count and x_post: ranges, rounding, signed distance, feedback, and the article's case."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

LINES = ("あ" * 32, "い" * 32, "う" * 31)
ARTICLE_OUTPUT = "\n".join("・" + line for line in LINES)  # 3 markers + 95 + 2 newlines = 100


def test_the_article_case_measures_100_and_passes(build):
    assert len(ARTICLE_OUTPUT) == 100
    verdict = build("char_count", target=100, tolerance=0.05).check(ARTICLE_OUTPUT)
    assert verdict.passed
    assert dict(verdict.measured) == {
        "count": 100, "unit": "chars", "min": 95, "max": 105, "target": 100}
    assert build("bullets", count=3).check(ARTICLE_OUTPUT).passed


def test_the_article_case_body_leaves_out_markers_and_newlines(build):
    verdict = build("char_count", target=100, tolerance=0.05, count="body").check(ARTICLE_OUTPUT)
    assert verdict.measured["count"] == 95
    assert verdict.passed  # 95 is the inclusive lower bound
    assert not build("char_count", target=100, tolerance=0.04, count="body").check(
        ARTICLE_OUTPUT).passed


def test_the_article_case_with_crlf_counts_two_more(build):
    verdict = build("char_count", target=100, tolerance=0.05).check(
        ARTICLE_OUTPUT.replace("\n", "\r\n"))
    assert verdict.measured["count"] == 102
    assert build("bullets", count=3).check(ARTICLE_OUTPUT.replace("\n", "\r\n")).passed


@pytest.mark.parametrize(
    ("target", "tolerance", "lo", "hi"),
    [
        (100, 0.05, 95, 105),
        (100, 0.07, 93, 107),   # 0.07 taken as 7/100, not the binary float just above it
        (30, 0.05, 29, 31),     # 28.5..31.5 -> min rounds up, max rounds down
        (140, 0.1, 126, 154),
        (10, 0, 10, 10),
        (10, 2.0, 0, 30),       # the lower bound never goes below 0
    ],
)
def test_tolerance_bounds_round_inwards(build, target, tolerance, lo, hi):
    c = build("char_count", target=target, tolerance=tolerance)
    assert (c.range.min, c.range.max) == (lo, hi)
    assert c.check("x" * hi).passed and c.check("x" * lo).passed
    assert not c.check("x" * (hi + 1)).passed
    if lo > 0:
        assert not c.check("x" * (lo - 1)).passed


def test_target_without_tolerance_is_exact(build):
    c = build("char_count", target=3)
    assert c.check("abc").passed
    assert c.check("abcd").distance == 1 and c.check("ab").distance == -1


def test_signed_distance_and_article_wording(build):
    c = build("char_count", target=100, tolerance=0.05)
    over = c.check("x" * 117)
    assert over.distance == 12
    assert over.feedback == "The text is 12 characters over. Make the text a little shorter."
    under = c.check("x" * 87)
    assert under.distance == -8
    assert under.feedback == ("The text still has 8 characters to spare. "
                              "Make the text a little longer.")
    assert c.check("x" * 106).feedback.startswith("The text is 1 character over.")


@pytest.mark.parametrize(
    ("unit", "text", "word"),
    [("graphemes", "ab", "graphemes"), ("x_weighted", "日", "weighted characters"),
     ("words", "a b", "words")],
)
def test_feedback_names_the_unit(build, unit, text, word):
    verdict = build("char_count", max=0, unit=unit).check(text)
    assert f"2 {word} over" in verdict.feedback


def test_min_max_open_ended(build):
    assert build("char_count", min=3).check("x" * 1000).passed
    assert build("char_count", max=3).check("").passed
    assert build("char_count", min=3).check("x").distance == -2


def test_feedback_override_from_the_recipe(build):
    c = build("char_count", target=100, tolerance=0.05, feedback={
        "over": "文章が{{ over }}文字オーバーしています。もう少し短くしてください。"})
    assert c.check("x" * 110).feedback == (
        "文章が5文字オーバーしています。もう少し短くしてください。")
    # keys not overridden keep the default wording
    assert c.check("x").feedback.startswith("The text still has 94 characters")


def test_label_names_the_verdict(build):
    assert build("char_count", max=1, label="length").check("ab").constraint == "length"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"tolerance": 0.1},
        {"target": 100, "max": 120},
        {"min": 10, "max": 5},
        {"target": -1},
        {"max": 10, "unit": "bytes"},
        {"max": 10, "count": "most"},
        {"max": 10, "tolerence": 0.1},
    ],
)
def test_bad_options_are_validation_errors(build, params):
    with pytest.raises(ValidationError):
        build("char_count", **params)


def test_x_post_is_280_weighted(build):
    post = build("x_post")
    assert post.check("a" * 280).passed
    assert post.check("日" * 140).passed
    verdict = post.check("日" * 141)
    assert verdict.distance == 2 and verdict.measured["unit"] == "x_weighted"
    assert "2 weighted characters over" in verdict.feedback
    assert build("x_post", max=140).check("a" * 141).distance == 1


def test_an_infinite_tolerance_is_refused_in_one_line(tmp_path):
    from tests.core.clihelp import distil

    (tmp_path / "c.yaml").write_text("constraints: [{char_count: {target: 100, tolerance: .inf}}]")
    out = distil("check", "c.yaml", cwd=tmp_path, stdin="hi")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "`tolerance` must be a finite number" in out.stderr
