"""What `distil dataset validate` found in a fine-tuning file, ready to print or to turn into
JSON: the problems (each with its line), the token statistics and, when a trainer was asked,
its estimate of what training costs."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from distil.wording import plural

if TYPE_CHECKING:
    from distil.kinds.trainer import TrainingEstimate

MAX_TOKENS_PER_EXAMPLE = 16_385  # the context a training example may use; more is truncated

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding. `line` is 1-based; None for a finding about the whole file."""

    line: int | None
    code: str
    message: str
    level: Level = "error"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "level": self.level,
                "message": self.message}

    def render(self, path: str) -> str:
        where = f"{path}:{self.line}" if self.line is not None else path
        return f"{where}: {self.level}: {self.code}: {self.message}"


@dataclass
class Report:
    """What `validate_file` found, ready to print or to turn into JSON."""

    path: str
    examples: int = 0
    problems: list[Problem] = field(default_factory=list)
    tokens: dict[str, Any] = field(default_factory=dict)
    example_tokens: list[int] = field(default_factory=list, repr=False)  # each example's total
    estimate: TrainingEstimate | None = None  # a trainer's, when the caller asked for one

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return dict(Counter(p.code for p in self.problems))

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path, "valid": self.valid, "examples": self.examples,
            "errors": len(self.errors), "warnings": len(self.warnings),
            "counts": self.counts(), "problems": [p.to_dict() for p in self.problems],
            "tokens": self.tokens,
            "estimate": self.estimate.to_dict() if self.estimate else None,
        }

    def summary(self) -> str:
        state = "valid" if self.valid else "invalid"
        return (f"{self.path}: {state}: {plural(self.examples, 'example')}, "
                f"{plural(len(self.errors), 'error')}, {plural(len(self.warnings), 'warning')}")

    def render(self) -> list[str]:
        """The human report: one line per problem, then figures, then the verdict."""
        out = [p.render(self.path) for p in self.problems]
        t = self.tokens
        if t.get("examples_counted"):
            out.append(f"tokens: {t['counter']}")
            for key, label in (("total", "tokens per example"),
                               ("assistant", "assistant tokens per example"),
                               ("messages", "messages per example")):
                s = t[key]
                out.append(f"  {label}: min {s['min']:,}, max {s['max']:,}, mean "
                           f"{s['mean']:,.1f}, median {s['median']:,.1f}, p5 {s['p5']:,.1f}, "
                           f"p95 {s['p95']:,.1f}")
            out.append(f"  examples over {MAX_TOKENS_PER_EXAMPLE:,} tokens (truncated in "
                       f"training): {t['over_limit']}")
        if self.estimate is not None:
            out.append(f"fine-tune of {self.estimate.base_model}: {self.estimate.describe()}")
        out.append(self.summary())
        return out


def token_stats(values: list[int]) -> dict[str, float | int]:
    """min, max, mean, median, p5 and p95 of per-example counts (zeros when there are none)."""
    if not values:
        return {"min": 0, "max": 0, "mean": 0.0, "median": 0.0, "p5": 0.0, "p95": 0.0}
    ordered = sorted(values)
    return {"min": ordered[0], "max": ordered[-1], "mean": statistics.fmean(ordered),
            "median": float(statistics.median(ordered)),
            "p5": _percentile(ordered, 5), "p95": _percentile(ordered, 95)}


def _percentile(ordered: list[int], pct: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default method)."""
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
