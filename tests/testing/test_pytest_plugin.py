"""distil's pytest plugin, run as a user runs it: docs/testing.md's example suite in pytester,
the entry point, the options, the kept figures, and assert_satisfies' message."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from distil.testing import assert_satisfies

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", re.S)


def example_files() -> dict[str, str]:
    files = dict(EXAMPLE.findall(DOCS.read_text(encoding="utf-8")))
    assert set(files) == {"headlines.yaml", "test_headlines.py"}
    return files


@pytest.fixture
def example(pytester: pytest.Pytester) -> pytest.Pytester:
    for name, text in example_files().items():
        (pytester.path / name).write_text(text, encoding="utf-8")
    return pytester


def test_the_documented_example_suite_passes(example):
    # -p no:distil would make the fixtures unknown: the plugin is loaded by its entry point
    result = example.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)


def test_without_the_entry_point_the_fixtures_are_unknown(example):
    result = example.runpytest_subprocess("-q", "-p", "no:distil", "-k", "replayed")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'distil_eval' not found*"])


GATE = """
from pathlib import Path
RECIPE = Path(__file__).parent / "headlines.yaml"

def test_gate(distil_eval, distil_replay):
    model = distil_replay({"h1": "Council approves park budget",
                           "h2": "Snow closes mountain pass again",
                           "h3": "Museum opens modern art wing"})
    result = distil_eval(RECIPE, model=model)
    print("CACHED", result.cached, "RATE", result.pass_rate, "MODELS", sorted(result.models))
"""


def _report(result) -> str:
    return next(line for line in result.stdout.lines if line.startswith("CACHED"))


def test_figures_are_kept_so_a_rerun_is_free(example):
    example.makepyfile(test_gate=GATE)
    first = example.runpytest_subprocess("-s", "-q", "test_gate.py")
    first.assert_outcomes(passed=1)
    assert _report(first).startswith("CACHED False RATE 1.0")
    second = example.runpytest_subprocess("-s", "-q", "test_gate.py")
    assert _report(second).startswith("CACHED True RATE 1.0")
    fresh = example.runpytest_subprocess("-s", "-q", "--distil-no-cache", "test_gate.py")
    assert _report(fresh).startswith("CACHED False RATE 1.0")


def test_a_changed_prompt_is_evaluated_again(example):
    example.makepyfile(test_gate=GATE)
    example.runpytest_subprocess("-s", "-q", "test_gate.py").assert_outcomes(passed=1)
    recipe = example.path / "headlines.yaml"
    recipe.write_text(recipe.read_text().replace("three to eight", "3 to 8"))
    again = example.runpytest_subprocess("-s", "-q", "test_gate.py")
    assert _report(again).startswith("CACHED False")


def test_distil_model_points_every_evaluation_elsewhere(example):
    example.makepyfile(test_gate=GATE)
    (example.path / "long.jsonl").write_text("".join(
        json.dumps({"id": i, "output": "a headline that runs on far past the eight word mark"})
        + "\n" for i in ("h1", "h2", "h3")))
    result = example.runpytest_subprocess("-s", "-q", "--distil-model", "replay/long.jsonl",
                                          "test_gate.py")
    assert _report(result) == "CACHED False RATE 0.0 MODELS ['replay/long.jsonl']"


def test_the_plugin_module_imports_nothing_heavy():
    code = ("import sys, distil.testing.pytest_plugin as p; "
            "print(sorted(m for m in sys.modules if m.startswith(('distil', 'pydantic', "
            "'yaml', 'jinja2', 'sqlite3'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['distil', 'distil.testing', 'distil.testing.pytest_plugin']"


def test_the_entry_point_names_the_plugin_module(tmp_path):
    # from a folder of its own: a stale *.egg-info in the checkout would shadow the install
    code = ("from importlib.metadata import entry_points; "
            "print(sorted({e.value for e in entry_points(group='pytest11') if e.name == 'distil'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout
    assert out.strip() == "['distil.testing.pytest_plugin']"


# -- assert_satisfies -------------------------------------------------------------------------
WORDS = [{"char_count": {"unit": "words", "min": 3, "max": 8}}]


def test_assert_satisfies_message_lists_measured_bounds_distance_feedback():
    with pytest.raises(AssertionError) as caught:
        assert_satisfies("one two three four five six seven eight nine ten", WORDS)
    assert str(caught.value) == textwrap.dedent("""\
        text fails 1 of 1 constraints:
          - char_count: measured count=10 words; bounds 3..8; distance +2
              feedback: The text is 2 words over. Make the text a little shorter.
        text: 'one two three four five six seven eight nine ten'""")


def test_assert_satisfies_lists_only_the_failed_ones_with_signed_distance():
    with pytest.raises(AssertionError) as caught:
        assert_satisfies("one", [*WORDS, {"regex": {"pattern": "^o"}},
                                 {"regex": {"pattern": "z"}}])
    message = str(caught.value)
    assert message.startswith("text fails 2 of 3 constraints:")
    assert "bounds 3..8; distance -2" in message
    assert "regex: measured pattern=z" in message and "pattern=^o" not in message


def test_assert_satisfies_passes_and_returns_the_verdicts(tmp_path):
    verdicts = assert_satisfies("three short words", WORDS)
    assert [v.passed for v in verdicts] == [True]
    recipe = tmp_path / "r.yaml"
    recipe.write_text("constraints:\n  - char_count: {unit: words, max: 2}\n")
    assert_satisfies("two words", str(recipe))
    with pytest.raises(AssertionError, match="bounds -inf..2; distance \\+1"):
        assert_satisfies("three words here", recipe)


def test_assert_satisfies_takes_constraint_objects():
    from distil.testing.assertions import constraint_set

    objects = list(constraint_set(WORDS))
    assert_satisfies("four words right here", objects)
    with pytest.raises(AssertionError, match="distance -1"):
        assert_satisfies("two words", objects)


def test_a_bad_constraint_mapping_is_named():
    from distil.errors import RecipeError

    with pytest.raises(RecipeError, match=r"constraints\[0\]"):
        assert_satisfies("x", [{"no_such_constraint": {}}])
    with pytest.raises(TypeError):
        assert_satisfies("x", [])
