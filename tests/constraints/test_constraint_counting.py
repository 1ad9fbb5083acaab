"""Length units on the cases that trip counters up: width forms, combining marks, emoji, CRLF."""

from __future__ import annotations

import unicodedata

import pytest

from distil.text import measure, words

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # 👩‍👩‍👧


def test_full_width_and_half_width_latin_are_three_chars_each():
    assert measure("ＡＢＣ") == 3
    assert measure("ABC") == 3
    # NFC keeps width forms apart (only NFKC would fold them); X weighs full-width as 2
    assert measure("ＡＢＣ", "x_weighted") == 6
    assert measure("ABC", "x_weighted") == 3
    assert measure("ＡＢＣ", "words") == 1


def test_half_width_katakana_with_dakuten_is_two_code_points():
    text = "ｶﾞ"
    assert measure(text) == 2
    assert measure(text, "graphemes") == 1  # the half-width voiced mark extends the cluster
    assert measure(text, "words") == 1


def test_combining_dakuten_normalises_to_one_char():
    decomposed = "か\u3099"
    assert len(decomposed) == 2
    assert measure(decomposed) == 1  # NFC: が
    assert measure(decomposed) == measure("が")
    assert measure(decomposed, "graphemes") == 1
    assert measure(unicodedata.normalize("NFD", "がぎぐげご")) == 5


def test_emoji_zwj_sequence():
    assert measure(FAMILY) == 5
    assert measure(FAMILY, "graphemes") == 1
    assert measure(FAMILY, "x_weighted") == 2  # X counts one emoji sequence as weight 2
    assert measure(FAMILY, "words") == 0


def test_crlf_counts_as_written_in_chars_and_as_one_cluster_in_graphemes():
    text = "あ\r\nい"
    assert measure(text) == 4
    assert measure(text, "graphemes") == 3
    assert measure(text, count="body") == 2
    assert measure(text, "x_weighted") == measure("あ\nい", "x_weighted") == 5


def test_x_weighted_limits():
    assert measure("a" * 280, "x_weighted") == 280
    assert measure("日" * 140, "x_weighted") == 280
    assert measure("日本語", "x_weighted") == 6
    assert measure("see https://example.com/a/very/long/path/indeed ok", "x_weighted") == 30


def test_words_in_spaced_and_spaceless_scripts():
    assert words("Hello, world! don't stop state-of-the-art 3.14") == [
        "Hello", "world", "don't", "stop", "state-of-the-art", "3.14"]
    assert measure("日本語のテキスト。", "words") == 8  # one per Han/kana character
    assert measure("한국어 문장입니다", "words") == 2  # Hangul is written with spaces
    assert measure("- one two\n- three", "words") == 3
    assert measure("1. one two\n2. three", "words") == 5
    assert measure("1. one two\n2. three", "words", count="body") == 3


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("・あいう\n・えお", 5),
        ("- a b\n* c\n• d\n● e", 5),
        ("1. a\n2) b\n１．c\n１. d\n① e\n⑳f", 6),
        ("-5 degrees", 9),  # no space after '-': not a bullet
        ("1.5 million", 10),
        ("  ・ indented　full-width space", 23),
        ("", 0),
    ],
)
def test_body_leaves_out_markers_and_whitespace(text, body):
    assert measure(text, count="body") == body


def test_body_graphemes_never_fuse_across_removed_space():
    text = "・" + FAMILY + " か\u3099\n- x \u0301"
    assert measure(text, "graphemes", "body") == 4  # family, が, x, the stray accent
    assert measure(text, "chars", "body") == 5 + 1 + 1 + 1
