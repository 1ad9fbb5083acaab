"""refine and an answer cut off by max_tokens: the next turn says it was cut off and must fit in
fewer tokens, never "make it longer"."""

from __future__ import annotations

import asyncio

from distil.kinds import ConstraintSet
from distil.plugins import get_host
from distil.types import Attempt, Completion, Message

PROMPT = (Message("user", "Summarise in 200 to 300 characters."),)


def constraints() -> ConstraintSet:
    return ConstraintSet([get_host().get("constraint", "char_count").model_validate(
        {"min": 200, "max": 300})])


def scripted(replies: list[tuple[str, str]]):
    """An AttemptFn answering (text, finish_reason) in turn, recording the messages sent."""
    sent: list[tuple[Message, ...]] = []
    checks = constraints()

    async def attempt(messages, restart, round, params=None):
        sent.append(tuple(messages))
        text, reason = replies[len(sent) - 1]
        return Attempt("d1", restart, round, tuple(messages),
                       Completion(text, finish_reason=reason), checks.check(text))

    return attempt, sent


def solve(strategy_params: dict, replies: list[tuple[str, str]]):
    strategy = get_host().get("strategy", "refine").model_validate(strategy_params)
    attempt, sent = scripted(replies)
    attempts = asyncio.run(strategy.solve(None, PROMPT, attempt, None, constraints()))
    return strategy, attempts, sent


def test_a_cut_off_answer_is_told_to_fit_in_fewer_tokens():
    cut = "A summary that stops in the mid"  # 31 characters: "under" by length alone
    strategy, attempts, sent = solve({"max_rounds": 3},
                                     [(cut, "length"), ("x" * 250, "stop")])
    assert len(attempts) == 2 and attempts[-1].passed
    feedback = sent[1][-1]
    assert feedback.role == "user"
    assert "cut off" in feedback.content and "fewer tokens" in feedback.content
    assert "longer" not in feedback.content and "to spare" not in feedback.content
    assert sent[1][-2] == Message("assistant", cut)  # the cut answer stays in the conversation
    assert strategy.choose(attempts) is attempts[-1]


def test_a_short_answer_that_ended_by_itself_still_gets_the_constraint_feedback():
    _, _, sent = solve({"max_rounds": 2}, [("Too short.", "stop"), ("x" * 250, "stop")])
    assert sent[1][-1].content == ("The text still has 190 characters to spare. "
                                   "Make the text a little longer.")


def test_the_cut_off_sentence_can_be_set_and_every_cut_round_gets_it():
    _, attempts, sent = solve(
        {"max_rounds": 3, "history": "last", "truncated_feedback": "Shorter, please: cut off."},
        [("cut", "length"), ("cut again", "length"), ("still cut", "length")])
    assert len(attempts) == 3 and not any(a.passed for a in attempts)
    assert [m[-1].content for m in sent[1:]] == ["Shorter, please: cut off."] * 2
    assert len(sent[2]) == len(PROMPT) + 2  # history: last sends the latest answer only
