"""`assert_satisfies`: distil's constraints as an assertion in anyone's test suite.

The message on failure is written for a person reading pytest's output: one block per failed
constraint with what was measured, the bounds, the signed distance (negative: short, positive:
over) and the very feedback sentence a refine loop would send the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from distil.kinds import Constraint, ConstraintSet
from distil.types import Document, Verdict

BOUND_KEYS = ("min", "max", "target")  # measured figures that are bounds, not measurements
TEXT_SHOWN = 200  # characters of the text quoted in a failure message


def constraint_set(constraints: Any, plugins_dirs: Iterable[str | Path] = ()) -> ConstraintSet:
    """The constraints of a recipe (or constraints file) path, of a list of mappings written as
    in a recipe (`[{"char_count": {"unit": "words", "max": 30}}]`), or of constraint objects."""
    from distil.recipe import load_constraints_file

    if isinstance(constraints, ConstraintSet):
        return constraints
    if isinstance(constraints, (str, Path)):
        return load_constraints_file(constraints, tuple(str(d) for d in plugins_dirs))
    if isinstance(constraints, (Constraint, Mapping)):
        constraints = [constraints]
    if not isinstance(constraints, Sequence) or not constraints:
        raise TypeError("constraints: give a recipe path, a non-empty list of constraint "
                        f"mappings or constraint objects, not {constraints!r}")
    if all(isinstance(c, Constraint) for c in constraints):
        return ConstraintSet(constraints)
    from distil.plugins import get_host
    from distil.recipe.resolve import build_constraints
    from distil.recipe.yaml_source import YamlSource

    specs = list(constraints)
    built: list[Constraint] = []
    host = get_host(plugins_dirs)
    for i, spec in enumerate(specs):
        if isinstance(spec, Constraint):
            built.append(spec)
        else:
            src = YamlSource("assert_satisfies constraints", {"constraints": specs}, {})
            built.extend(build_constraints(host, [spec], ("constraints", i), src))
    return ConstraintSet(built)


def _figure(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) and " " in value else str(value)


def describe(verdict: Verdict) -> str:
    """One failed verdict as the lines a person reads: measured, bounds, distance, feedback."""
    measured = {k: v for k, v in verdict.measured.items() if k not in BOUND_KEYS}
    unit = measured.pop("unit", None)
    shown = ", ".join(f"{k}={_figure(v)}" for k, v in measured.items()
                      if v is not None and not isinstance(v, (dict, list)))
    if unit:
        shown = f"{shown} {unit}" if shown else str(unit)
    low, high = verdict.measured.get("min"), verdict.measured.get("max")
    if low is not None or high is not None:
        bounds = f"{_figure(low) if low is not None else '-inf'}..{_figure(high) if high is not None else 'inf'}"
    else:
        bounds = "(none stated)"
    distance = f"{verdict.distance:+g}"
    lines = [f"  - {verdict.constraint}: measured {shown or '(nothing)'}; bounds {bounds}; "
             f"distance {distance}"]
    if verdict.feedback:
        lines.append("      feedback: " + verdict.feedback.replace("\n", "\n                "))
    return "\n".join(lines)


def failure_message(text: str, verdicts: Sequence[Verdict]) -> str:
    failed = [v for v in verdicts if not v.passed]
    quoted = text if len(text) <= TEXT_SHOWN else text[:TEXT_SHOWN - 1] + "…"
    head = f"text fails {len(failed)} of {len(verdicts)} constraints:"
    return "\n".join([head, *(describe(v) for v in failed), f"text: {quoted!r}"])


def assert_satisfies(text: str, constraints: Any, *, doc: Document | None = None,
                     plugins_dirs: Iterable[str | Path] = ()) -> tuple[Verdict, ...]:
    """Assert that `text` passes every constraint; returns the verdicts when it does.

    `constraints` is a recipe path (its `constraints:` list), a list of constraint mappings as
    written in a recipe, or constraint objects. On failure, the AssertionError lists each
    failed constraint with its measured value, bounds, signed distance and feedback.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this function's
    if not isinstance(text, str):
        raise TypeError(f"assert_satisfies: text must be a str, not {type(text).__name__}")
    verdicts = constraint_set(constraints, plugins_dirs).check(text, doc)
    if not all(v.passed for v in verdicts):
        raise AssertionError(failure_message(text, verdicts))
    return verdicts
