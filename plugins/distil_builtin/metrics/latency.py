"""Seconds per answer: mean, median (p50) and p95."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from distil.kinds import Metric
from distil.types import EvalRecord
from distil_builtin.metrics.intervals import bootstrap_mean


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method), q in [0, 100]."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class Latency(Metric):
    """Wall seconds per answered request, with a bootstrap 95% CI.

    Failed requests are left out, and so are answers replayed from the response cache: their
    latency was measured when they were first asked, not now (`cached` counts them). A model's
    load time is not in here either; the run reports it as `load_seconds`.
    """

    def compute(self, records: Sequence[EvalRecord], context: dict[str, Any]) -> dict[str, Any]:
        values = [r.latency for r in records if r.output is not None and not r.cached]
        cached = sum(1 for r in records if r.output is not None and r.cached)
        if not values:
            return {"n": 0, "mean": None, "p50": None, "p95": None, "cached": cached}
        return {
            "n": len(values),
            "cached": cached,
            "mean": statistics.fmean(values),
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "mean_ci95": list(bootstrap_mean(values)),
        }
