"""Walking a metric's figures and pairing each with its 95% interval.

The convention every metric follows: a figure `x` with an interval carries it as
`x_ci95: [low, high]`; a bare `ci95` belongs to the dict's `rate` (pass_rate's headline, and
each of its `per_constraint` entries). Lists other than intervals (such as length_stats'
`values`) and strings are not figures.

`format_figure` writes one for a table: every report and the bench matrix use it, so a figure
reads the same in all of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from distil.wording import money


@dataclass(frozen=True, slots=True)
class Figure:
    """One number of one metric, `name` a dotted path such as `pass_rate.per_constraint.x.rate`."""

    name: str
    value: float | None
    ci95: tuple[float, float] | None = None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def interval_of(figures: Mapping[str, Any], key: str) -> tuple[float, float] | None:
    """The 95% interval of `figures[key]`, when the metric gives one."""
    ci = figures.get(f"{key}_ci95")
    if ci is None and key == "rate":
        ci = figures.get("ci95")
    if (isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_is_number(c) for c in ci)
            and not any(math.isnan(c) for c in ci)):
        return (float(ci[0]), float(ci[1]))
    return None


def _walk(prefix: str, figures: Mapping[str, Any]) -> Iterator[Figure]:
    for key, value in figures.items():
        if key == "ci95" or key.endswith("_ci95"):
            continue
        name = f"{prefix}.{key}"
        if value is None or _is_number(value):
            yield Figure(name, None if value is None else float(value),
                         interval_of(figures, key))
        elif isinstance(value, Mapping):
            yield from _walk(name, value)


def figures(metrics: Mapping[str, Any]) -> Iterator[Figure]:
    """Every figure of a model's `metrics` (metric name -> figures), in order."""
    for name, values in metrics.items():
        if isinstance(values, Mapping):
            yield from _walk(name, values)


def lookup(metrics: Mapping[str, Any], path: str) -> Any:
    """`metrics` at a dotted path (`pass_rate.rate`), or None."""
    node: Any = metrics
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def format_figure(value: Any, spec: str) -> str:
    """`spec.format(value)`; the spec `money` gives dollars (see `distil.wording.money`);
    None (no such figure) is "–", and a value the spec cannot format is shown as it is."""
    if value is None:
        return "–"
    if spec == "money" and _is_number(value):
        return money(value)
    try:
        return spec.format(value)
    except (TypeError, ValueError):
        return str(value)
