"""Rewards from verdicts: how the `local` trainer's GRPO method scores a completion.

The constraints judge the completion exactly as they judge a teacher's answer (the same
`check`, the same counting rules); this module only turns their verdicts into one number.
Three shapes, each a weighted mean over the constraints (weights by constraint name, default 1):

- `pass`: 1 for a constraint that passed, 0 for one that failed. In [0, 1].
- `linear`: `max(0, 1 - |distance| / scale)` per constraint, 1 when it passed: a completion
  that misses by a little scores more than one that misses by a lot, so a group in which every
  completion fails still has something to learn from. In [0, 1].
- `pass+linear`: the sum of the two, in [0, 2]: passing is worth a step of 1 on top of being
  close.

The scale normalises a distance by the bound it missed: a summary of 36 words against a
maximum of 30 (distance 6) is 6/30 = 0.2 away and scores 0.8 on `linear`; one of 10 words
against a minimum of 20 is 10/20 = 0.5 away. A verdict without a positive bound in its
`measured` figures (a regex, a schema) uses its `target` when it has one, else 1, so its
distance counts as it is (a failure without a direction has distance 1 and scores 0).

Nothing here imports torch or trl: the shapes are plain functions, property-tested on their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from distil.types import Verdict

RewardShape = Literal["pass", "linear", "pass+linear"]
SHAPES: tuple[str, ...] = ("pass", "linear", "pass+linear")


def distance_scale(verdict: Verdict) -> float:
    """The figure a verdict's distance is divided by: the bound it missed, else its target."""
    measured = verdict.measured
    bound = measured.get("max") if verdict.distance > 0 else measured.get("min")
    for candidate in (bound, measured.get("target")):
        if isinstance(candidate, (int, float)) and not isinstance(candidate, bool) \
                and candidate > 0:
            return float(candidate)
    return 1.0


def normalised_distance(verdict: Verdict) -> float:
    """|distance| / scale: 0 for a pass, 1 or more for a miss as large as the bound itself."""
    return abs(verdict.distance) / distance_scale(verdict)


def linear_score(verdict: Verdict) -> float:
    """1 for a pass, falling linearly with the normalised distance, never below 0."""
    return max(0.0, 1.0 - normalised_distance(verdict))


def pass_score(verdict: Verdict) -> float:
    return 1.0 if verdict.passed else 0.0


def _weighted_mean(scores: Sequence[tuple[float, float]]) -> float:
    total = sum(weight for _, weight in scores)
    if total <= 0:
        return 0.0
    return sum(score * weight for score, weight in scores) / total


def reward(verdicts: Sequence[Verdict], shape: RewardShape = "pass+linear",
           weights: Mapping[str, float] | None = None) -> float:
    """One completion's reward from its verdicts (see the module docstring for the shapes).

    `weights` maps a constraint's name (its `label`, else its plugin name) to its weight; a
    constraint not named weighs 1, and one weighted 0 does not count. No verdicts (or every
    weight 0) gives 0.
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown reward shape {shape!r}; use one of {', '.join(SHAPES)}")
    weights = weights or {}
    weighted = [(v, float(weights.get(v.constraint, 1.0))) for v in verdicts]
    passed = _weighted_mean([(pass_score(v), w) for v, w in weighted])
    if shape == "pass":
        return passed
    linear = _weighted_mean([(linear_score(v), w) for v, w in weighted])
    return linear if shape == "linear" else passed + linear


def max_reward(shape: RewardShape) -> float:
    """The reward of a completion that passes every constraint."""
    return 2.0 if shape == "pass+linear" else 1.0
