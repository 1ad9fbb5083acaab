"""The LLM judge on generated data: what it reads out of a judge's answer, and what it makes of
many answers, asked of a scripted judge model.

`compute` and `prepare` reach models only through the metric context's `models`, whose whole
interface (`get`, `await complete`, `stored`; see `distil.engine.metric_context.MetricModels`) is
reproduced here by `ScriptedModels`: it asks a real `Model` (a scripted one, answering from a
table) and keeps each answer under the request that got it, as the run store does.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distil.kinds import Model
from distil.types import Completion, Document, EvalRecord, Message
from distil_builtin.metrics.judge import Judge, parse_scores

NAMES = ["coverage", "faithfulness", "fluency", "relevance", "brevity"]  # none inside another
NOISE = ["Here is my grading.", "The summary reads well, 3 out of 5 overall.", "",
         "Scores follow (1-5).", "Thanks!"]

criteria_st = st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True)
score_st = st.one_of(st.integers(1, 5).map(float), st.sampled_from([1.5, 2.25, 3.5, 4.75]))
out_of_range_st = st.sampled_from(["0", "6", "7", "9", "10", "5.5", "12"])


@st.composite
def score_line(draw, name: str, score: str, out_of_5: bool = True) -> str:
    """`name: score` as judges write it: any case, in bold, with a range, out of 5."""
    shown = draw(st.sampled_from([name, name.upper(), name.title()]))
    if draw(st.booleans()):
        shown = f"**{shown}**"
    scale = draw(st.sampled_from(["", " (1-5)", " (1 to 5)", " (1–5)"]))
    sep = draw(st.sampled_from([": ", " - ", " = ", ":", " — "]))
    suffix = draw(st.sampled_from(["", "/5", " / 5", " out of 5", "."] if out_of_5 else
                                  ["", ".", " points"]))
    return f"{draw(st.sampled_from(['', '- ', '* ']))}{shown}{scale}{sep}{score}{suffix}"


def shown(score: float) -> str:
    return f"{score:g}"


@st.composite
def judge_answer(draw, criteria: Sequence[str]) -> tuple[str, dict[str, float]]:
    """A judge's answer scoring some of `criteria` (others out of range, or not named), and
    what a correct reading of it gives."""
    expected: dict[str, float] = {}
    lines = [draw(st.sampled_from(NOISE)) for _ in range(draw(st.integers(0, 3)))]
    for name in criteria:
        kind = draw(st.sampled_from(["scored", "scored", "scored", "out of range", "absent"]))
        if kind == "scored":
            value = draw(score_st)
            expected[name] = value
            lines.append(draw(score_line(name, shown(value))))
        elif kind == "out of range":
            # no "/5" after it: in "0 out of 5" the parser reads the 5 as the score
            lines.append(draw(score_line(name, draw(out_of_range_st), out_of_5=False)))
    order = draw(st.permutations(lines))
    return "\n".join(order), expected


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_parse_scores_reads_back_every_score_written_in_any_judge_style(data):
    criteria = data.draw(criteria_st)
    text, expected = data.draw(judge_answer(criteria))
    assert parse_scores(text, criteria) == expected


@settings(max_examples=100, deadline=None)
@given(criteria_st, st.lists(st.sampled_from(NOISE), max_size=5))
def test_parse_scores_finds_nothing_where_no_criterion_is_named(criteria, lines):
    assert parse_scores("\n".join(lines), criteria) == {}


@settings(max_examples=100, deadline=None)
@given(criteria_st, st.data())
def test_parse_scores_takes_the_first_valid_score_for_a_criterion(criteria, data):
    first, second = data.draw(score_st), data.draw(score_st)
    name = criteria[0]
    text = f"{name}: {shown(first)}\n{name}: {shown(second)}"
    assert parse_scores(text, criteria) == {name: first}


# -- the metric against a scripted judge -----------------------------------------------------
class ScriptedJudge(Model):
    """Answers a judge prompt with the line the test scripted for the answer it grades."""

    plugin_name: ClassVar[str] = "scripted-judge"
    script: dict[str, tuple[str, float | None]] = {}  # graded output -> (reply, cost)

    async def complete(self, messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion:
        prompt = messages[-1].content
        graded = prompt.split("Summary:\n", 1)[1].split("\n\nRate the summary", 1)[0]
        reply, cost = self.script[graded]
        return Completion(text=reply, cost=cost)


class ScriptedModels:
    """The metric context's `models`: ask a model, and read back what was asked (by request)."""

    def __init__(self, judge: Model, failing: set[str]) -> None:
        self.judge, self.failing = judge, failing  # documents whose judge request fails
        self.answers: dict[tuple, Completion] = {}
        self.asked: list[str] = []

    def get(self, spec: Any) -> Model:
        assert spec == "teacher"  # the judge's default
        return self.judge

    def _key(self, purpose: str, model: Model, doc: Document, messages: Sequence[Message],
             params: Mapping[str, Any] | None) -> tuple:
        return purpose, model.display_name, doc.id, tuple(messages), tuple(sorted(
            (params or {}).items()))

    async def complete(self, purpose: str, model: Model, doc: Document,
                       messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion | None:
        self.asked.append(doc.id)
        if doc.id in self.failing:
            return None
        answer = await model.complete(messages, params)
        self.answers[self._key(purpose, model, doc, messages, params)] = answer
        return answer

    def stored(self, purpose: str, model: Model, doc: Document, messages: Sequence[Message],
               params: Mapping[str, Any] | None = None) -> Completion | None:
        return self.answers.get(self._key(purpose, model, doc, messages, params))


# what happens to one evaluated answer: the model failed, the judge request failed, the judge
# answered with every score, or with some left out
case_st = st.one_of(
    st.just(("model error", None)),
    st.just(("judge failed", None)),
    st.tuples(st.just("scored"), st.lists(score_st, min_size=4, max_size=4)),
    st.just(("unreadable", None)),
)


@settings(max_examples=60, deadline=None)
@given(criteria_st, st.lists(st.tuples(case_st, st.one_of(st.none(), st.floats(0, 0.01))),
                             min_size=1, max_size=15), st.randoms(use_true_random=False))
def test_judge_scores_are_the_means_of_what_it_read_and_every_answer_is_accounted_for(
        criteria, cases, rnd: random.Random):
    docs, records, script, failing, expected = {}, [], {}, set(), []
    costs = []
    for i, ((kind, values), cost) in enumerate(cases):
        doc = Document(f"d{i}", f"Source text number {i}.")
        docs[doc.id] = doc
        output = None if kind == "model error" else f"Answer number {i}."
        records.append(EvalRecord("student", doc.id, output,
                                  error="boom" if output is None else None))
        if kind == "judge failed":
            failing.add(doc.id)
        elif kind == "scored":
            scores = dict(zip(criteria, values, strict=False))
            expected.append(scores)
            lines = [f"{name.title()}: {shown(v)}" for name, v in scores.items()]
            script[output] = ("\n".join(rnd.sample(lines, len(lines))), cost)
            costs.append(cost)
        elif kind == "unreadable":
            script[output] = (f"{criteria[0]}: great, really", cost)
            costs.append(cost)
    judge = Judge(criteria=criteria)
    models = ScriptedModels(ScriptedJudge(model="m", script=script), failing)
    context = {"models": models, "documents": docs}

    asyncio.run(judge.prepare(records, context))
    answered = [r.doc_id for r in records if r.output is not None]
    assert sorted(models.asked) == sorted(answered)  # each answer judged once; errors never
    models.asked.clear()
    out = judge.compute(records, context)
    assert models.asked == []  # compute only reads what prepare stored

    kinds = [kind for (kind, _), _ in cases]
    assert out["judge"] == "scripted-judge/m" and out["criteria"] == criteria
    assert out["n"] == len(expected) == kinds.count("scored")
    assert out["errors"] == kinds.count("model error")
    assert out["missing"] == kinds.count("judge failed")
    assert out["unparsed"] == kinds.count("unreadable")
    assert out["n"] + out["errors"] + out["missing"] + out["unparsed"] == len(records)
    priced = [c for c in costs if c is not None]
    assert out["cost"] == (pytest.approx(sum(priced)) if priced else None)
    if not expected:
        assert out["score"] is None and all(out[name] is None for name in criteria)
        return
    overall = [statistics.fmean(s.values()) for s in expected]
    assert out["score"] == pytest.approx(statistics.fmean(overall))
    assert 1.0 <= out["score"] <= 5.0
    assert out["score_ci95"][0] - 1e-9 <= out["score"] <= out["score_ci95"][1] + 1e-9
    for name in criteria:
        assert out[name] == pytest.approx(statistics.fmean(s[name] for s in expected))
        lo, hi = out[f"{name}_ci95"]
        assert 1.0 <= lo <= out[name] + 1e-9 and out[name] - 1e-9 <= hi <= 5.0


@pytest.mark.parametrize(("answer", "score"), [
    ("Coverage: 0/5", None), ("Coverage: 6/5", None), ("Coverage: 0 out of 5", None),
    ("Coverage: 3/5", 3.0), ("Coverage: 4 out of 5", 4.0)])
def test_an_off_scale_score_is_left_out_not_read_as_the_scale(answer, score):
    from distil_builtin.metrics.judge import parse_scores

    assert parse_scores(answer, ["coverage"]) == ({} if score is None else {"coverage": score})
