"""distil.testing: the property checks catch each kind of broken constraint, and pass good ones.

Each broken constraint below breaks exactly one property; the check must fail naming it.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from typing import ClassVar

import pytest
from hypothesis import strategies as st
from pydantic import PrivateAttr

import distil
from distil.testing import check_constraint_properties, constraint_texts, scripted_model


class Good(distil.CountRange, distil.Constraint):
    """Counts code points, as char_count does."""

    default_feedback: ClassVar[dict[str, str]] = {
        "over": "The text has {{ found }}; write {{ want }}.",
        "under": "The text has {{ found }}; write {{ want }}.",
    }

    def check(self, output, doc=None):
        return self.judge_count(distil.measure(output), "chars", "character")


class RaisesOnEmpty(Good):
    def check(self, output, doc=None):
        if not output:
            raise IndexError("empty")
        return super().check(output, doc)


class TwoLineFeedback(distil.Constraint):
    default_feedback: ClassVar[dict[str, str]] = {"failed": "Line one.\nLine two."}

    def check(self, output, doc=None):
        return self.verdict(passed=not output, measured={}, distance=0 if not output else 1)


class NoFullStop(TwoLineFeedback):
    default_feedback: ClassVar[dict[str, str]] = {"failed": "write nothing"}


class Flaky(Good):
    _calls: object = PrivateAttr(default_factory=itertools.count)

    def check(self, output, doc=None):
        n = next(self._calls)  # type: ignore[call-overload]
        return self.verdict(passed=n % 2 == 0, measured={"n": n % 2},
                            distance=0 if n % 2 == 0 else 1, feedback_key="over",
                            found="x", want="y")


class WrongSign(Good):
    def check(self, output, doc=None):
        v = super().check(output, doc)
        if v.passed:
            return v
        return self.verdict(passed=False, measured=dict(v.measured), distance=-v.distance,
                            feedback_key="over", found=f"{len(output)} characters", want="fewer")


class Vague(Good):
    default_feedback: ClassVar[dict[str, str]] = {"over": "Make it shorter.",
                                                  "under": "Make it longer."}


class NotJson(distil.Constraint):
    default_feedback: ClassVar[dict[str, str]] = {"failed": "No."}

    def check(self, output, doc=None):
        return self.verdict(passed=True, measured={"ratio": float("nan")})


class Misnamed(Good):
    def check(self, output, doc=None):
        return distil.Verdict("someone-else", True)


BOUNDS = [{"min": 2, "max": 5}]


@pytest.mark.parametrize("cls, configs, message", [
    (RaisesOnEmpty, BOUNDS, "check raised IndexError"),
    (TwoLineFeedback, [{}], "feedback is not one line"),
    (NoFullStop, [{}], "does not end like a sentence"),
    (Flaky, BOUNDS, "a second check gave another verdict"),
    (WrongSign, BOUNDS, "from the range, distance says"),
    (Vague, BOUNDS, "feedback does not say how far off"),
    (NotJson, [{}], "to_dict\\(\\) is not JSON"),
    (Misnamed, BOUNDS, "verdict is named 'someone-else'"),
])
def test_each_broken_property_fails_with_its_name(cls, configs, message):
    with pytest.raises(AssertionError, match=message) as info:
        check_constraint_properties(cls, configs, max_examples=50)
    assert cls.__name__ in str(info.value)


def test_feedback_direction_is_checked_when_given():
    check_constraint_properties(Good, BOUNDS, max_examples=30)
    with pytest.raises(AssertionError, match="does not say '(shorter|longer)'"):
        check_constraint_properties(Good, BOUNDS, direction=("shorter", "longer"),
                                    max_examples=50)


def test_a_good_constraint_and_a_builtin_pass():
    check_constraint_properties(Good, [{"count": 3}, {"min": 1, "max": 4}], max_examples=40)
    from distil.plugins import get_host

    check_constraint_properties(get_host().get("constraint", "word_count"), [{"max": 3}],
                                direction=("shorter", "longer"), max_examples=40)


def test_arguments_are_checked():
    with pytest.raises(TypeError, match="not a distil Constraint"):
        check_constraint_properties(dict, [{}])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one config"):
        check_constraint_properties(Good, [])


def test_a_custom_text_strategy_is_used():
    seen = []

    class Recorder(Good):
        def check(self, output, doc=None):
            seen.append(output)
            return super().check(output, doc)

    check_constraint_properties(Recorder, BOUNDS, texts=st.just("abc"), max_examples=5)
    assert seen and set(seen) == {"abc"}


def test_the_default_texts_reach_the_awkward_cases():
    from hypothesis import find

    assert "\r\n" in find(constraint_texts(), lambda t: "\r\n" in t)
    assert find(constraint_texts(), lambda t: "\ud800" in t)


def test_scripted_model_answers_in_turn_through_the_host():
    model = scripted_model(["one", "two"])
    assert model.plugin_name == "scripted"
    ask = [distil.Message("user", "hi")]
    answers = [asyncio.run(model.complete(ask)).text for _ in range(3)]
    assert answers == ["one", "two", "one"]
    echo = scripted_model(echo=True)
    assert asyncio.run(echo.complete(ask)).text == "hi"


def test_registered_finds_a_plugin_as_a_fresh_host_does(tmp_path):
    from distil.testing import registered

    assert registered("model", "scripted").plugin_name == "scripted"
    (tmp_path / "mine.py").write_text(
        "import distil\n\n"
        "class Nothing(distil.Constraint):\n"
        "    def check(self, output, doc=None):\n"
        "        return distil.Verdict(self.name, True)\n\n"
        "@distil.hookimpl\n"
        "def register_constraints(register):\n"
        "    register('nothing', Nothing)\n")
    assert registered("constraint", "mine/nothing", [tmp_path]).__name__ == "Nothing"
    with pytest.raises(distil.UsageError, match="did you mean 'mine/nothing'"):
        registered("constraint", "mine/nothin", [tmp_path])


def test_importing_distil_testing_imports_neither_pytest_nor_hypothesis():
    code = ("import sys, distil.testing\n"
            "print(','.join(m for m in ('pytest', 'hypothesis') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
