"""distil: constrained-output LLM work.

Check model outputs against hard constraints, generate teacher data that satisfies them,
distil that behaviour into a cheaper student, and evaluate models on it.

`import distil` is a plugin author's whole surface::

    import distil

    class Shout(distil.Constraint): ...

    @distil.hookimpl
    def register_constraints(register):
        register("shout", Shout)

It gives the hook marker, the plugin base classes (`Constraint`, `ConstraintSet`, `CountRange`,
`Corpus`, `Model`, `Strategy`, `Trainer`, `Metric`, `Reporter`, `Plugin`), the values that flow
through a run (`Document`, `Verdict`, ...), the errors a plugin raises, and the counting rules
(`distil.text`, with `measure` also here). Test helpers are in `distil.testing`.

Importing this package is cheap on purpose: every name above is imported on first use (a module
`__getattr__`), and none of them pulls in a provider SDK (openai, litellm), llama_cpp or torch;
the plugins that need those import them lazily.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the import stays cheap)

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "hookimpl": "distil.hookspecs",
    "Register": "distil.hookspecs",
    # plugin base classes
    "Plugin": "distil.kinds",
    "Constraint": "distil.kinds",
    "ConstraintSet": "distil.kinds",
    "CountRange": "distil.kinds",
    "Corpus": "distil.kinds",
    "Model": "distil.kinds",
    "Strategy": "distil.kinds",
    "Trainer": "distil.kinds",
    "Metric": "distil.kinds",
    "Reporter": "distil.kinds",
    # values
    "Attempt": "distil.types",
    "Completion": "distil.types",
    "Document": "distil.types",
    "EvalRecord": "distil.types",
    "Message": "distil.types",
    "Sample": "distil.types",
    "Usage": "distil.types",
    "Verdict": "distil.types",
    # errors a plugin raises
    "DistilError": "distil.errors",
    "UsageError": "distil.errors",
    "SourceError": "distil.errors",
    "PluginError": "distil.errors",
    "ModelError": "distil.errors",
    "TransientModelError": "distil.errors",
    # counting rules
    "measure": "distil.text",
}
_SUBMODULES = ("text", "testing")

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"distil.{name}")
    else:
        raise AttributeError(f"module 'distil' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from distil import testing, text
    from distil.errors import (
        DistilError,
        ModelError,
        PluginError,
        SourceError,
        TransientModelError,
        UsageError,
    )
    from distil.hookspecs import Register, hookimpl
    from distil.kinds import (
        Constraint,
        ConstraintSet,
        Corpus,
        CountRange,
        Metric,
        Model,
        Plugin,
        Reporter,
        Strategy,
        Trainer,
    )
    from distil.text import measure
    from distil.types import (
        Attempt,
        Completion,
        Document,
        EvalRecord,
        Message,
        Sample,
        Usage,
        Verdict,
    )
