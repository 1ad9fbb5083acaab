"""YAML alias bombs, recursive aliases, deep nesting and huge files: refused in one line, fast.

Before, 6 levels of nested aliases took 12.5 s and 1.1 GB and 8 levels ran past a minute; a
recursive alias gave a RecursionError traceback.
"""

from __future__ import annotations

import time

import pytest

from distil.errors import RecipeError
from distil.recipe import yaml_source
from distil.recipe.yaml_source import (
    MAX_ALIAS_NODES,
    MAX_ALIASES,
    load_yaml,
    load_yaml_text,
)
from tests.core.clihelp import distil


def alias_bomb(levels: int, width: int = 9) -> str:
    lines = ["name: bomb", "l0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [6, 8])
def test_an_alias_bomb_is_refused_in_well_under_a_second(levels):
    started = time.perf_counter()
    with pytest.raises(RecipeError, match="aliases expand to more than 10,000 extra nodes") as info:
        load_yaml_text(alias_bomb(levels), "bomb.yaml")
    assert time.perf_counter() - started < 0.5
    assert str(info.value).startswith("bomb.yaml: ")


def test_the_cli_refuses_an_alias_bomb_in_one_line(tmp_path):
    (tmp_path / "bomb.yaml").write_text(alias_bomb(8))
    started = time.perf_counter()
    out = distil("validate", "bomb.yaml", cwd=tmp_path)
    assert time.perf_counter() - started < 30  # the interpreter's start-up, not the bomb
    assert out.returncode == 2
    assert out.stderr.startswith("error: bomb.yaml: YAML aliases expand") and \
        len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_aliases_that_add_a_few_nodes_are_fine():
    text = "base: &b {model: x, params: {temperature: 0}}\none: *b\ntwo: *b\n"
    src = load_yaml_text(text, "r.yaml")
    assert src.data["two"] == {"model": "x", "params": {"temperature": 0}}
    assert src.line_of(("two", "params")) == 1  # the alias's nodes keep their own lines


def test_the_expansion_limit_is_exact():
    # one alias of a list of n scalars adds n + 1 nodes
    def with_list(n):
        return "a: &a [" + ", ".join(["1"] * n) + "]\nb: *a\n"

    load_yaml_text(with_list(MAX_ALIAS_NODES - 1), "r.yaml")
    with pytest.raises(RecipeError, match="alias bomb"):
        load_yaml_text(with_list(MAX_ALIAS_NODES), "r.yaml")


def test_too_many_aliases_are_refused_naming_the_line():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(RecipeError, match=r"^r\.yaml:2: more than 1,000 YAML aliases"):
        load_yaml_text(text, "r.yaml")


def test_a_recursive_alias_is_refused():
    with pytest.raises(RecipeError, match=r"^r\.yaml:1: an alias refers to the node that holds"):
        load_yaml_text("a: &a [1, *a]\n", "r.yaml")


def test_deep_nesting_is_one_line_not_a_recursion_error():
    with pytest.raises(RecipeError, match=r"^r\.yaml: invalid YAML: nested too deeply"):
        load_yaml_text("[" * 100_000, "r.yaml")


def test_a_file_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(yaml_source, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text("name: x\n" + "# padding\n" * 200)
    with pytest.raises(RecipeError, match=r"big\.yaml: 2,008 bytes, more than the 1,000"):
        load_yaml(path)
    with pytest.raises(RecipeError, match="more than the 1,000 bytes"):
        load_yaml_text(path.read_text(), "big.yaml")


@pytest.mark.parametrize("path,fragment", [("a\0b.yaml", "cannot read: embedded null byte"),
                                           ("x" * 5000 + ".yaml", "cannot read: File name too long")])
def test_an_unreadable_path_is_a_recipe_error(path, fragment):
    with pytest.raises(RecipeError, match=fragment):
        load_yaml(path)
