"""ROUGE-L: the LCS against brute force, the F1 by hand, CJK at character level, references."""

from __future__ import annotations

import itertools
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distil.types import Document, EvalRecord
from distil_builtin.metrics.lcs import lcs_length, pick_level, rouge_l, tokens
from distil_builtin.metrics.rouge import Rouge


def brute_lcs(a, b) -> int:
    """Longest subsequence of `a` that is also a subsequence of `b`, by trying them all."""
    def is_sub(s, t):
        it = iter(t)
        return all(x in it for x in s)
    for k in range(len(a), 0, -1):
        if any(is_sub(c, b) for c in itertools.combinations(a, k)):
            return k
    return 0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from("abcd"), max_size=8), st.lists(st.sampled_from("abcd"), max_size=8))
def test_lcs_matches_brute_force_and_is_symmetric(a, b):
    assert lcs_length(a, b) == brute_lcs(a, b) == lcs_length(b, a)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["cat", "dog", "sat", "mat", "the"]), min_size=1, max_size=12))
def test_identical_texts_score_one_and_f1_is_between_p_and_r(words):
    text = " ".join(words)
    assert rouge_l(text, text).f1 == pytest.approx(1.0)
    other = " ".join(reversed(words)) + " extra"
    s = rouge_l(other, text)
    assert 0 <= s.f1 <= 1
    assert min(s.precision, s.recall) - 1e-12 <= s.f1 <= max(s.precision, s.recall) + 1e-12


def test_word_level_by_hand():
    # candidate 6 words, reference 6 words, LCS "the cat on the mat" = 5
    s = rouge_l("The cat was on the mat.", "the cat sat on the mat", level="word")
    assert s.level == "word"
    assert (s.precision, s.recall) == (pytest.approx(5 / 6), pytest.approx(5 / 6))
    assert s.f1 == pytest.approx(5 / 6)


def test_japanese_is_scored_by_character():
    ref = "東京で大雨が降った。"
    cand = "東京に大雨。"
    assert pick_level(ref, cand) == "char"
    assert tokens(ref, "char") == list("東京で大雨が降った")  # punctuation dropped
    s = rouge_l(cand, ref)
    # LCS 東京大雨 = 4; candidate 5 characters, reference 9
    assert s.level == "char"
    assert s.precision == pytest.approx(4 / 5) and s.recall == pytest.approx(4 / 9)
    # as one "word" each, the two texts would share nothing
    assert rouge_l(cand, ref, level="word").f1 == 0.0


def test_chinese_is_character_level_and_english_word_level():
    assert pick_level("今天北京下雨了") == "char"
    assert pick_level("It rained in Beijing today") == "word"
    assert pick_level("ＦＵＬＬ　ＷＩＤＴＨ") == "word"  # NFKC makes these plain letters
    assert tokens("ＦＵＬＬ width!", "word") == ["full", "width"]


def test_empty_texts():
    assert rouge_l("", "").f1 == 1.0
    assert rouge_l("", "something").f1 == 0.0


def records(outputs):
    return [EvalRecord("m", k, v) for k, v in outputs.items()]


def test_metric_with_a_field_reference_and_missing_ones():
    docs = {"a": Document("a", "text", {"title": "Cat sits on mat"}),
            "b": Document("b", "text", {"title": "Rain all day"}),
            "c": Document("c", "text", {})}
    recs = records({"a": "A cat sits on the mat", "b": "Sunny day", "c": "whatever"})
    recs.append(EvalRecord("m", "d", None, error="boom"))
    out = Rouge(reference="field:title").compute(recs, {"documents": docs})
    expected = [rouge_l("A cat sits on the mat", "Cat sits on mat").f1,
                rouge_l("Sunny day", "Rain all day").f1]
    assert out["n"] == 2 and out["missing_reference"] == 1 and out["errors"] == 1
    assert out["f1"] == pytest.approx(statistics.fmean(expected))
    assert out["f1_ci95"][0] <= out["f1"] <= out["f1_ci95"][1]
    assert out["levels"] == {"char": 0, "word": 2}


def test_metric_against_the_teacher_and_another_model():
    recs = records({"a": "猫がマットに座った", "b": "雨"})
    teacher = {"a": "猫がマットの上に座った"}
    out = Rouge().compute(recs, {"teacher_outputs": teacher})
    assert out["n"] == 1 and out["missing_reference"] == 1
    assert out["f1"] == pytest.approx(rouge_l("猫がマットに座った", teacher["a"]).f1)
    assert out["levels"]["char"] == 1
    other = Rouge(reference="model:teacher").compute(
        recs, {"outputs": {"teacher": {"a": "猫", "b": "雨"}}})
    assert other["n"] == 2


@pytest.mark.parametrize("bad", ["title", "field:", "model:", "teachers"])
def test_reference_spelling_is_checked(bad):
    with pytest.raises(ValueError, match="field:<name>"):
        Rouge(reference=bad)


# -- properties of the score, on generated texts ------------------------------------------------
WORDS = ["the", "cat", "sat", "on", "mat", "Dog", "RAIN", "day", "42"]
HAN = "東京大雨猫犬日本語今天北京下了"
KANA = "がのにはをたでしてるア"
PUNCT = ["", " ", ", ", ". ", "! ", "\n", "、", "。"]

words_st = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)
cjk_st = st.lists(st.tuples(st.sampled_from(HAN + KANA), st.sampled_from(PUNCT)),
                  max_size=16).map(lambda pairs: "".join(c + p for c, p in pairs))
text_st = st.one_of(words_st, cjk_st)


@settings(max_examples=150, deadline=None)
@given(text_st, st.sampled_from(["auto", "char", "word"]))
def test_a_text_against_itself_scores_one(text, level):
    s = rouge_l(text, text, level)
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)


@settings(max_examples=150, deadline=None)
@given(text_st)
def test_an_empty_answer_or_reference_scores_zero(text):
    level = pick_level(text)
    if not tokens(text, level):  # punctuation only: as empty as the empty text
        assert rouge_l("", text).f1 == rouge_l(text, "").f1 == 1.0
        return
    for s in (rouge_l("", text), rouge_l(text, ""), rouge_l(" ,。", text)):
        assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)


@settings(max_examples=200, deadline=None)
@given(text_st, text_st)
def test_f1_is_symmetric_bounded_and_the_harmonic_mean(a, b):
    ab, ba = rouge_l(a, b), rouge_l(b, a)
    assert ab.level == ba.level == pick_level(a, b)
    assert ab.f1 == pytest.approx(ba.f1)
    assert (ab.precision, ab.recall) == (pytest.approx(ba.recall), pytest.approx(ba.precision))
    for s in (ab, ba):
        assert 0.0 <= s.precision <= 1.0 and 0.0 <= s.recall <= 1.0 and 0.0 <= s.f1 <= 1.0
        if s.precision + s.recall and tokens(a, s.level) and tokens(b, s.level):
            assert s.f1 == pytest.approx(2 * s.precision * s.recall / (s.precision + s.recall))
    cand, ref = tokens(a, ab.level), tokens(b, ab.level)
    if cand and ref:  # precision and recall are the LCS over each side's length
        common = lcs_length(cand, ref)
        assert ab.precision == pytest.approx(common / len(cand))
        assert ab.recall == pytest.approx(common / len(ref))


@settings(max_examples=150, deadline=None)
@given(cjk_st.filter(lambda t: any(c in HAN + KANA for c in t)), cjk_st)
def test_japanese_and_chinese_are_scored_character_by_character(a, b):
    s = rouge_l(a, b)
    assert s.level == "char" and s == rouge_l(a, b, level="char")
    assert tokens(a, "char") == [c for c in a if c in HAN + KANA]  # spaces, 、 and 。 dropped
    # so spacing and punctuation between the characters change nothing
    spaced = " ".join(c for c in a if c in HAN + KANA)
    assert rouge_l(spaced, b, level="char") == rouge_l(a, b, level="char")


@settings(max_examples=100, deadline=None)
@given(words_st, words_st)
def test_word_level_ignores_case_width_and_punctuation(a, b):
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in a)  # ＦＵＬＬ
    for variant in (a.upper(), wide, a.replace(" ", ", ") + "."):
        assert rouge_l(variant, b, level="word") == rouge_l(a, b, level="word")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), text_st), st.one_of(st.none(), text_st)),
                min_size=1, max_size=12))
def test_rouge_metric_is_the_mean_of_each_answer_against_its_reference(pairs):
    """Each answer against the teacher's output for its document; errors and documents
    without a reference are counted, not scored."""
    recs = [EvalRecord("m", f"d{i}", out, error=None if out is not None else "boom")
            for i, (out, _) in enumerate(pairs)]
    teacher = {f"d{i}": ref for i, (_, ref) in enumerate(pairs) if ref is not None}
    out = Rouge().compute(recs, {"teacher_outputs": teacher})
    scored = [rouge_l(o, teacher[f"d{i}"]) for i, (o, _) in enumerate(pairs)
              if o is not None and f"d{i}" in teacher]
    assert out["n"] == len(scored) == sum(out["levels"].values())
    assert out["errors"] == sum(o is None for o, _ in pairs)
    assert out["n"] + out["missing_reference"] + out["errors"] == len(pairs)
    assert out["levels"] == {lv: sum(s.level == lv for s in scored) for lv in ("char", "word")}
    if not scored:
        assert out["f1"] is None
        return
    assert out["f1"] == pytest.approx(statistics.fmean(s.f1 for s in scored))
    assert out["precision"] == pytest.approx(statistics.fmean(s.precision for s in scored))
    assert out["recall"] == pytest.approx(statistics.fmean(s.recall for s in scored))
    lo, hi = out["f1_ci95"]
    assert 0.0 <= lo <= out["f1"] + 1e-9 and out["f1"] - 1e-9 <= hi <= 1.0
    # an answer that is its reference scores 1, so all-correct answers give exactly 1
    perfect = Rouge().compute([EvalRecord("m", d, t) for d, t in teacher.items()],
                              {"teacher_outputs": teacher})
    assert perfect["f1"] == 1.0 and perfect["f1_ci95"] == [1.0, 1.0]
