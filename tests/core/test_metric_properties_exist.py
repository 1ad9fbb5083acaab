"""Every metric the built-in plugins register has a hypothesis property test.

A metric counts as covered when a test function decorated with hypothesis' `@given` names it:
its class (`Rouge(...)`, `Judge(...)`), or its registered name looked up in the metric
registry (`host.get("metric", "ifeval/accuracy")`). A new built-in metric without such a test
fails here, by name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from distil.plugins import get_host
from distil_builtin.metrics.rouge import Rouge

TESTS = Path(__file__).resolve().parents[1]
BUILTIN_PACKAGES = ("distil_builtin", "distil_ifeval")


def builtin_metrics() -> dict[str, type]:
    """Registered name -> class, for the metrics the project's own plugin packages provide."""
    registry = get_host().registry("metric")
    return {name: entry.cls for name, entry in registry.entries.items()
            if entry.cls.__module__.split(".")[0] in BUILTIN_PACKAGES}


def _is_given(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "given") or (
        isinstance(target, ast.Attribute) and target.attr == "given")


def property_tests() -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(file:function, node) of every hypothesis test under tests/."""
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                    _is_given(d) for d in node.decorator_list):
                yield f"{path.relative_to(TESTS)}::{node.name}", node


def named_in(fn: ast.AST) -> set[str]:
    """Identifiers a function uses, and the names it looks up with `get("metric", NAME)`."""
    names: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Call):
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if len(args) == 2 and args[0] == "metric" and isinstance(args[1], str):
                names.add(f"metric:{args[1]}")
    return names


def covering(name: str, cls: type, tests: list[tuple[str, set[str]]]) -> list[str]:
    return [where for where, names in tests if cls.__name__ in names or f"metric:{name}" in names]


def test_every_builtin_metric_has_a_hypothesis_property_test():
    metrics = builtin_metrics()
    # the built-ins as the docs list them: the scan is over all of them, not an empty registry
    assert {"length_stats", "pass_rate", "latency", "tokens", "cost", "rouge", "judge",
            "ifeval/accuracy"} <= set(metrics)
    tests = [(where, named_in(fn)) for where, fn in property_tests()]
    missing = sorted(name for name, cls in metrics.items() if not covering(name, cls, tests))
    assert missing == [], f"built-in metrics without a hypothesis property test: {missing}"


@pytest.mark.parametrize("source, covered", [
    ("@given(st.integers())\ndef test_x(n):\n    Rouge().compute([], {})\n", True),
    ("@settings(max_examples=5)\n@given(st.data())\ndef test_x(data):\n"
     "    host.get('metric', 'rouge')\n", True),
    ("def test_x():\n    Rouge().compute([], {})\n", False),  # not a property test
    ("@given(st.integers())\ndef test_x(n):\n    assert n == n\n", False),  # names no metric
])
def test_the_scan_counts_only_property_tests_that_name_the_metric(source, covered):
    tree = ast.parse(source)
    fns = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
           and any(_is_given(d) for d in n.decorator_list)]
    tests = [("x", named_in(fn)) for fn in fns]
    assert bool(covering("rouge", Rouge, tests)) is covered
