"""distil-example-constraint: the `example/ends_with` constraint.

distil finds this module through the `distil` entry-point group (see pyproject.toml). The
entry point is named `example`, so every name registered here is namespaced `example/<name>`.
Everything it needs from distil comes from `import distil`.
"""

import distil

from distil_example_constraint.ends_with import EndsWith

__all__ = ["EndsWith", "register_constraints"]


@distil.hookimpl
def register_constraints(register: distil.Register[distil.Constraint]) -> None:
    register("ends_with", EndsWith)
