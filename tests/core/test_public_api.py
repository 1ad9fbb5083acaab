"""`import distil` is a plugin author's whole surface, and it stays cheap to import."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Protocol

import pytest

import distil
from distil import hookspecs
from distil.plugins import PluginHost

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("litellm", "openai", "llama_cpp", "torch", "ray", "transformers")


def test_the_hook_marker_is_the_one_the_host_reads():
    assert distil.hookimpl is hookspecs.hookimpl


@pytest.mark.parametrize("name, module", [
    ("Plugin", "distil.kinds"), ("Constraint", "distil.kinds"), ("ConstraintSet", "distil.kinds"),
    ("CountRange", "distil.kinds"), ("Corpus", "distil.kinds"), ("Model", "distil.kinds"),
    ("Strategy", "distil.kinds"), ("Trainer", "distil.kinds"), ("Metric", "distil.kinds"),
    ("Reporter", "distil.kinds"), ("Document", "distil.types"), ("Verdict", "distil.types"),
    ("Message", "distil.types"), ("Completion", "distil.types"), ("Usage", "distil.types"),
    ("Attempt", "distil.types"), ("EvalRecord", "distil.types"), ("UsageError", "distil.errors"),
    ("SourceError", "distil.errors"), ("ModelError", "distil.errors"),
    ("TransientModelError", "distil.errors"), ("PluginError", "distil.errors"),
    ("measure", "distil.text"), ("Register", "distil.hookspecs"),
])
def test_names_a_plugin_needs_come_from_distil(name, module):
    import importlib

    assert getattr(distil, name) is getattr(importlib.import_module(module), name)
    assert name in distil.__all__ and name in dir(distil)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Constrant'"):
        distil.Constrant  # noqa: B018


def test_counting_rules_and_test_helpers_are_submodules():
    assert distil.text.measure("か\u3099", "chars") == 1  # NFC first
    assert callable(distil.testing.check_constraint_properties)


def test_a_plugin_written_against_import_distil_alone_loads_and_works(tmp_path):
    (tmp_path / "loud.py").write_text(textwrap.dedent('''
        import distil

        class Loud(distil.CountRange, distil.Constraint):
            """At most `max` lower-case letters."""
            default_feedback = {"over": "Use {{ over }} fewer lower-case letters.",
                                "under": "Use {{ under }} more lower-case letters."}

            def check(self, output: str, doc: distil.Document | None = None) -> distil.Verdict:
                lower = sum(ch.islower() for ch in distil.text.nfc(output))
                return self.judge_count(lower, "letters", "letter")

        @distil.hookimpl
        def register_constraints(register: distil.Register[distil.Constraint]) -> None:
            register("loud", Loud)
    '''))
    loud = PluginHost([tmp_path]).get("constraint", "loud/loud").model_validate({"max": 1})
    assert loud.check("SHOUT").passed
    verdict = loud.check("quiet")
    assert verdict.distance == 4 and verdict.feedback == "Use 4 fewer lower-case letters."


def _imported_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(','.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.strip().split(","))


def test_import_distil_is_cheap():
    loaded = _imported_after("import distil")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    # nothing behind the public names is imported until it is used
    assert not {"distil.kinds", "distil.plugins", "pydantic", "pluggy"} & loaded


def test_the_whole_surface_imports_no_heavy_sdk():
    loaded = _imported_after("import distil\nfor n in distil.__all__: getattr(distil, n)")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    # the counting rules import twitter-text and tiktoken only when a unit needs them
    assert not {"twitter_text", "tiktoken"} & loaded


def test_register_is_typed_in_every_registration_hook():
    assert Protocol in hookspecs.Register.__mro__
    call = inspect.signature(hookspecs.Register.__call__)
    assert list(call.parameters) == ["self", "name", "cls", "aliases"]
    for name in dir(hookspecs):
        if name.startswith("register_") and name != "register_commands":
            annotation = inspect.signature(getattr(hookspecs, name)).parameters["register"]
            assert annotation.annotation.startswith("Register["), name


def test_the_example_package_uses_only_the_public_surface():
    package = ROOT / "examples" / "distil-example-constraint" / "src" / "distil_example_constraint"
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top != "distil_builtin", f"{path.name} imports {name}"
                assert not (top == "distil" and name != "distil"), \
                    f"{path.name} imports {name}; use `import distil`"
