"""Test helpers for plugin authors: the checks distil's own plugins are held to.

- `check_constraint_properties(cls, configs)`: the hypothesis property tests every built-in
  constraint passes, for your constraint, in one call;
- `constraint_texts()`: the hypothesis strategy of awkward texts those tests draw from;
- `scripted_model(outputs)`: the built-in `scripted` model (answers from a list, offline),
  resolved by name through the plugin host, for tests of strategies, metrics and recipes;
- `registered(kind, name)`: a plugin class as a fresh host finds it (entry points, namespace).

A third-party constraint gets the built-ins' coverage in three lines::

    from distil.testing import check_constraint_properties

    def test_properties():
        check_constraint_properties(EndsWith, [{"endings": ["。"]}, {"endings": ["!"], "strip": False}])

Importing this package imports neither pytest nor hypothesis; hypothesis (a test dependency)
is imported when a property check runs.

- `assert_satisfies(text, constraints)`: assert a text passes a recipe's (or a list's)
  constraints, with a readable message when it does not (`distil.testing.assertions`);
- `evaluate_recipe(recipe, model=..., run_dir=...)`: one recipe's evaluation through the engine
  (`distil.testing.evaluation`); the pytest plugin (`distil.testing.pytest_plugin`, loaded
  through the `pytest11` entry point) wraps it as the cached `distil_eval` fixture.

Each name is imported on first use, so pytest loading the plugin imports nothing heavy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "assert_satisfies": "distil.testing.assertions",
    "check_constraint_properties": "distil.testing.properties",
    "constraint_texts": "distil.testing.properties",
    "evaluate_recipe": "distil.testing.evaluation",
    "registered": "distil.testing.models",
    "scripted_model": "distil.testing.models",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'distil.testing' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
