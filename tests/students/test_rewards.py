"""The GRPO reward shapes (`rewards.py`): properties over any verdicts, and worked figures.

No torch: the shapes are plain functions of the constraints' verdicts.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from distil.types import Verdict
from distil_builtin.constraints.char_count import CharCount
from distil_builtin.trainers.rewards import (
    SHAPES,
    distance_scale,
    linear_score,
    max_reward,
    normalised_distance,
    reward,
)

NAMES = ("words", "lines", "regex")


@st.composite
def verdicts(draw, name: str | None = None) -> Verdict:
    """A verdict as a counting constraint writes it: a range, a count, the signed distance."""
    low = draw(st.integers(0, 200))
    high = draw(st.integers(low, low + 200))
    count = draw(st.integers(0, 600))
    distance = count - high if count > high else count - low if count < low else 0
    measured = draw(st.sampled_from([{"count": count, "min": low, "max": high},
                                     {"count": count}, {"count": count, "target": high}]))
    return Verdict(name or draw(st.sampled_from(NAMES)), distance == 0, measured, distance,
                   None if distance == 0 else "off")


verdict_lists = st.lists(verdicts(), min_size=1, max_size=4)
weights = st.dictionaries(st.sampled_from(NAMES), st.floats(0, 10), max_size=3)


@given(verdict_lists, st.sampled_from(SHAPES), weights)
def test_rewards_stay_within_their_shape_s_range(vs, shape, w):
    value = reward(vs, shape, w)
    assert 0.0 <= value <= max_reward(shape) + 1e-12


@given(verdict_lists, st.sampled_from(SHAPES), weights)
def test_a_completion_that_passes_everything_earns_the_most(vs, shape, w):
    passing = [Verdict(v.constraint, True, v.measured) for v in vs]
    if sum(w.get(v.constraint, 1.0) for v in vs) > 0:
        assert reward(passing, shape, w) == pytest.approx(max_reward(shape))
    assert reward(passing, shape, w) >= reward(vs, shape, w) - 1e-12


@given(verdict_lists, weights)
def test_the_sum_shape_is_pass_plus_linear(vs, w):
    assert reward(vs, "pass+linear", w) == pytest.approx(reward(vs, "pass", w)
                                                         + reward(vs, "linear", w))


@given(verdict_lists, weights, st.floats(0.01, 100))
def test_scaling_every_weight_changes_nothing(vs, w, factor):
    scaled = {name: w.get(name, 1.0) * factor for name in NAMES}
    for shape in SHAPES:
        assert reward(vs, shape, scaled) == pytest.approx(reward(vs, shape, w))


@given(verdicts(), st.integers(1, 300))
def test_missing_by_more_never_scores_more(v, extra):
    """Moving the count further from the range, on the same side, cannot raise the reward."""
    if v.passed:
        return
    further = v.distance + (extra if v.distance > 0 else -extra)
    worse = Verdict(v.constraint, False, v.measured, further, "off")
    assert linear_score(worse) <= linear_score(v)
    assert normalised_distance(worse) >= normalised_distance(v)


@given(verdicts())
def test_linear_is_one_minus_the_normalised_distance_floored_at_zero(v):
    assert linear_score(v) == pytest.approx(max(0.0, 1 - abs(v.distance) / distance_scale(v)))
    assert linear_score(v) == 1.0 if v.passed else linear_score(v) < 1.0


@given(st.lists(verdicts(name="words"), min_size=1, max_size=3),
       st.lists(verdicts(name="lines"), min_size=1, max_size=3))
def test_a_constraint_weighted_zero_does_not_count(kept, dropped):
    for shape in SHAPES:
        assert reward(kept + dropped, shape, {"lines": 0.0}) == pytest.approx(
            reward(kept, shape))


@given(st.lists(verdicts(), max_size=3), st.sampled_from(SHAPES))
def test_nothing_to_weigh_is_zero(vs, shape):
    assert reward(vs, shape, {n: 0.0 for n in NAMES}) == 0.0
    assert reward([], shape) == 0.0


def test_worked_figures_on_the_quickstart_constraint():
    """20-30 words (target 25): 36 words is 6/30 = 0.2 past the maximum, 10 words is 10/20."""
    words = CharCount(unit="words", target=25, tolerance=0.2)
    long, short, fine = (words.check(" ".join(["w"] * n)) for n in (36, 10, 25))
    assert linear_score(long) == pytest.approx(0.8) and linear_score(short) == pytest.approx(0.5)
    assert reward([long], "pass") == 0.0 and reward([fine], "pass") == 1.0
    assert reward([long], "pass+linear") == pytest.approx(0.8)
    assert reward([fine], "pass+linear") == 2.0
    heavy = {long.constraint: 3.0}
    tagged = Verdict("other", True, {})
    assert reward([long, tagged], "pass", heavy) == pytest.approx(1 / 4)
    assert reward([long, tagged], "linear", heavy) == pytest.approx((3 * 0.8 + 1) / 4)


def test_a_failure_without_a_bound_counts_its_distance_as_it_is():
    regex = Verdict("regex", False, {"matches": 0}, 1.0, "no match")
    assert distance_scale(regex) == 1.0 and linear_score(regex) == 0.0
    half = Verdict("regex", False, {}, 0.5, "half")
    assert math.isclose(linear_score(half), 0.5)


def test_an_unknown_shape_is_refused():
    with pytest.raises(ValueError, match="unknown reward shape 'squared'"):
        reward([], "squared")  # type: ignore[arg-type]


def test_registering_and_configuring_grpo_imports_no_torch_trl_or_datasets():
    import subprocess
    import sys

    probe = ("import sys\n"
             "import distil\n"
             "from distil.plugins import PluginHost\n"
             "trainer = PluginHost().get('trainer', 'local')\n"
             "trainer(method='sft+grpo', reward='linear', reward_weights={'words': 2})\n"
             "print(sorted(m for m in ('torch', 'trl', 'datasets', 'transformers', 'peft')\n"
             "             if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]
