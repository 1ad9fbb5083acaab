"""Whatever the file, validating a recipe ends in `ok` or one DistilError, never a crash.

Random bytes, random YAML and random mutations of every shipped recipe go through the same
steps as `distil validate` (load_recipe, then preflight), in this process so that hypothesis
can try many. The CLI turns a DistilError into one line and exit status 2
(test_recipe_errors.py and the tests beside it check that part).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distil.errors import DistilError
from distil.recipe import load_recipe
from distil.recipe.preflight import preflight

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "recipes").glob("*.yaml"))


def validate(path: Path) -> None:
    """What `distil validate` does with one recipe; DistilError is the only way out."""
    try:
        recipe = load_recipe(path, allow_missing_data=True)
        preflight(recipe, read_corpus=not recipe.missing_data)
    except DistilError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip(), repr(str(exc))


FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path, data):
    path = tmp_path / "r.yaml"
    path.write_bytes(data)
    validate(path)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True), st.text(max_size=20))
documents = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4),
    st.dictionaries(st.sampled_from(["name", "corpus", "inline", "documents", "prompt", "user",
                                     "teacher", "model", "constraints", "char_count", "max",
                                     "split", "train", "sample", "evaluate", "report",
                                     "plugins", "params", "x"]), children, max_size=5)),
    max_leaves=20)


@FUZZ
@given(doc=documents)
def test_random_yaml(tmp_path, doc):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    validate(path)


@st.composite
def mutations(draw, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "value", "indent", "swap"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "value" and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            value = draw(st.one_of(st.text(max_size=12).map(repr), st.sampled_from(
                ["-1", "0", "1e999", ".nan", "null", "[]", "{}", "'{{ wrods }}'",
                 "'{{ range(10**9)|list }}'", "../../x", "*nope", "&a [*a]"])))
            lines[i] = f"{key}: {value}"
        elif action == "indent":
            lines[i] = "  " + lines[i]
        elif action == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("recipe", SHIPPED, ids=[p.name for p in SHIPPED])
def test_mutations_of_every_shipped_recipe(tmp_path, recipe):
    text = recipe.read_text(encoding="utf-8")

    @settings(max_examples=25, deadline=None)
    @given(mutated=mutations(text))
    def check(mutated):
        path = recipe.parent / f".fuzz-{recipe.name}"  # beside it: relative paths still resolve
        path.write_text(mutated, encoding="utf-8")
        try:
            validate(path)
        finally:
            path.unlink()

    check()
