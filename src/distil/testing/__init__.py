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
"""

from distil.testing.models import registered, scripted_model
from distil.testing.properties import check_constraint_properties, constraint_texts

__all__ = ["check_constraint_properties", "constraint_texts", "registered", "scripted_model"]
