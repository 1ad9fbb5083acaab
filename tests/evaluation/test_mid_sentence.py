"""The mid_sentence metric: which answers stop in the middle of a sentence (English, Japanese).

Properties over generated sentences: a sentence that ends is complete whatever closes it
(quotes, brackets, spaces, a trailing newline), and the same sentence cut before its end, on
a comma, a joining word or a particle, is not; a bullet item may end on a noun; an answer cut
off by the token limit always counts. Then the metric's share and interval.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from distil.types import EvalRecord
from distil_builtin.metrics.mid_sentence import (
    CLOSERS,
    EN_JOINING_WORDS,
    JA_PARTICLES,
    MidSentence,
    ends_mid_sentence,
)

# content words: never one of the joining words, never ending in a particle's kana
EN_WORD = st.text(st.sampled_from("bcdfghklmnprstvwxz"), min_size=3, max_size=8)
EN_SENTENCE = st.lists(EN_WORD, min_size=1, max_size=8).map(" ".join).map(str.capitalize)
JA_NOUN = st.text(st.sampled_from("東京都市議会政府発表新橋修理決定予算経済"), min_size=1,
                  max_size=6)
JA_ENDING = st.sampled_from(["した", "された", "する", "である", "だ", "です", "ました"])
JA_SENTENCE = st.builds(lambda a, b, end: f"{a}が{b}を{end}", JA_NOUN, JA_NOUN, JA_ENDING)
CLOSING = st.text(st.sampled_from(CLOSERS + " "), max_size=3)
BULLET = st.sampled_from(["- ", "* ", "・", "• ", "1. "])


@given(EN_SENTENCE, st.sampled_from(".!?…"), CLOSING, st.sampled_from(["", "\n", "\n\n"]))
def test_an_english_sentence_that_ends_is_complete(sentence, end, closing, newline):
    assert ends_mid_sentence(sentence + end + closing + newline) is False


@given(JA_SENTENCE, st.sampled_from("。！？"), CLOSING)
def test_a_japanese_sentence_that_ends_is_complete(sentence, end, closing):
    assert ends_mid_sentence(sentence + end + closing) is False


@given(EN_SENTENCE, st.sampled_from([",", ":", ";", " -", " (", " —"]))
def test_english_cut_on_a_joining_mark_is_mid_sentence(sentence, mark):
    assert ends_mid_sentence(sentence + mark) is True
    assert ends_mid_sentence("- " + sentence + mark) is True


@given(EN_SENTENCE, st.sampled_from(sorted(EN_JOINING_WORDS)), BULLET)
def test_a_bullet_ending_on_a_joining_word_is_mid_sentence(sentence, word, bullet):
    assert ends_mid_sentence(f"{bullet}{sentence} {word}") is True
    assert ends_mid_sentence(f"{bullet}{sentence}") is False  # a noun phrase is an item


@given(EN_SENTENCE)
def test_prose_without_a_sentence_end_is_mid_sentence(sentence):
    assert ends_mid_sentence(sentence) is True
    assert ends_mid_sentence(f"{sentence}.\n{sentence}") is True  # the last line counts


@given(JA_NOUN, JA_NOUN, st.sampled_from(JA_PARTICLES), BULLET)
def test_japanese_cut_after_a_particle_is_mid_sentence(a, b, particle, bullet):
    assert ends_mid_sentence(f"{bullet}{a}が{b}{particle}") is True
    assert ends_mid_sentence(f"{a}が{b}{particle}、") is True
    assert ends_mid_sentence(f"{bullet}{a}が{b}を発表") is False  # 体言止め: ends on a noun


@given(st.sampled_from(["- 2", "- 3.", "・１", "- ---"]))
def test_a_bullet_with_no_letter_left_is_cut_off(item):
    assert ends_mid_sentence("- The council met.\n" + item) is True


@given(st.one_of(EN_SENTENCE.map(lambda s: s + "."), JA_SENTENCE.map(lambda s: s + "。")))
def test_an_answer_cut_by_the_token_limit_always_counts(sentence):
    assert ends_mid_sentence(sentence, "length") is True
    assert ends_mid_sentence(sentence, "stop") is False


def test_kana_nouns_are_not_particles_and_empty_text_is_not_judged():
    assert ends_mid_sentence("・新しい政策を決めたこと") is False
    assert ends_mid_sentence("・会議を開いて") is True
    assert ends_mid_sentence("") is None and ends_mid_sentence(" \n ") is None


def record(output, finish_reason=None, error=None):
    return EvalRecord("m", "d", output, finish_reason=finish_reason, error=error)


ANSWER = st.one_of(EN_SENTENCE, EN_SENTENCE.map(lambda s: s + "."), JA_SENTENCE.map(
    lambda s: s + "。"), st.just(""), st.sampled_from(["- 2", "- Cats and", "・東京は"]))


@given(st.lists(st.tuples(ANSWER, st.sampled_from([None, "stop", "length"])), max_size=12))
def test_the_share_is_the_judged_answers_and_lies_in_its_interval(answers):
    out = MidSentence().compute([record(text, reason) for text, reason in answers], {})
    judged = [ends_mid_sentence(text, reason) for text, reason in answers]
    scored = [j for j in judged if j is not None]
    assert (out["n"], out["mid_sentence"]) == (len(scored), sum(scored))
    assert out["empty"] == len(judged) - len(scored)
    if scored:
        lo, hi = out["ci95"]
        assert 0 <= lo <= out["rate"] == sum(scored) / len(scored) <= hi <= 1
    else:
        assert out["rate"] is None


def test_the_metric_gives_the_share_with_an_interval():
    records = [record("It rained."), record("It rained and"), record("- 2"),
               record("It rained.", "length"), record(""), record(None, error="HTTP 500")]
    out = MidSentence().compute(records, {})
    assert (out["n"], out["mid_sentence"], out["empty"], out["errors"]) == (4, 3, 1, 1)
    assert out["rate"] == 0.75
    lo, hi = out["ci95"]
    assert lo < 0.75 < hi
    assert MidSentence().compute([], {})["rate"] is None
