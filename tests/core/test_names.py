"""Names that become paths are slugs: a recipe or suite `name`, a reporter's `filename`.

Before, `name: ../../escaped` put the run outside runs/, `name: /abs/path` wrote to that path,
`name: ""` wrote into runs/<timestamp>, and a NUL byte gave a traceback.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distil.errors import RecipeError
from distil.names import NAME_MAX, RUN_RECORDS, check_output_file, check_slug
from distil.recipe.yaml_source import load_yaml_text
from tests.core.clihelp import distil

RECIPE = """\
name: {name}
corpus:
  inline: {{documents: ["One short text."]}}
teacher:
  model: {{scripted: {{outputs: ["ok"]}}}}
report: [json]
"""

BAD_NAMES = {
    "parent": '"../../escaped"',
    "absolute": '"/abs/path"',
    "empty": '""',
    "nul": '"a\\0b"',
    "slash": "a/b",
    "hidden": ".hidden",
    "too long": "x" * (NAME_MAX + 1),
}


RUN_TOO = {BAD_NAMES[k] for k in ("parent", "absolute", "empty", "nul")}  # `run` is slower


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_a_name_that_is_not_a_slug_is_refused_by_validate_and_run(tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    (work / "r.yaml").write_text(RECIPE.format(name=name))
    before = files_under(tmp_path)
    commands = [("validate", "r.yaml")] + ([("run", "r.yaml")] if name in RUN_TOO else [])
    for command in commands:
        out = distil(*command, cwd=work)
        assert out.returncode == 2, (command, out.stdout, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
        assert lines[0].startswith("error: r.yaml:1: name: must be a slug"), lines[0]
    assert files_under(tmp_path) == before  # no run directory, anywhere


def test_a_slug_name_runs_under_runs(tmp_path):
    (tmp_path / "r.yaml").write_text(RECIPE.format(name="my-task_v1.2"))
    out = distil("run", "r.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (run,) = (tmp_path / "runs" / "my-task_v1.2").iterdir()
    assert json.loads((run / "manifest.json").read_text())["recipe"] == "my-task_v1.2"


SLUG = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "\0\u00e9\u65e5/\\", max_size=120))
def test_slug_rule_matches_its_definition(name):
    """Whatever the text, a name is accepted exactly when it is a slug, and an accepted name
    is one path component that stays inside its parent folder."""
    try:
        check_slug(name)
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert accepted == bool(SLUG.fullmatch(name))
    if accepted:
        root = Path("/runs")
        assert (root / name).parent == root and (root / name).resolve().parent == root
        assert not name.startswith(".") and "\0" not in name


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_any_yaml_name_gives_a_recipe_error_or_a_slug(name):
    """From the YAML file to the model: a bad name is one located RecipeError, never a crash."""
    from distil.recipe.loaded import _validate
    from distil.recipe.models import RecipeModel

    src = load_yaml_text(
        "name: " + json.dumps(name) + "\ncorpus: {inline: {documents: [x]}}\n", "r.yaml")
    try:
        spec = _validate(src, RecipeModel)
    except RecipeError as exc:
        assert str(exc).startswith("r.yaml:1: name: ")
        assert not SLUG.fullmatch(name)
    else:
        assert SLUG.fullmatch(spec.name)


def test_a_suite_name_is_a_slug_too(tmp_path):
    (tmp_path / "t.yaml").write_text(RECIPE.format(name="t"))
    (tmp_path / "s.yaml").write_text("name: ../out\nrecipes: [t.yaml]\nmodels: [local/smollm2]\n")
    out = distil("validate", "s.yaml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error: s.yaml:1: name: must be a slug"), out.stderr


@pytest.mark.parametrize("filename", ["../../report.md", "/tmp/report.md", "sub/report.md",
                                      "store.sqlite", "manifest.json", "recipe.yaml", ""])
def test_a_reporter_writes_only_a_plain_file_of_the_run_directory(tmp_path, filename):
    text = RECIPE.format(name="t").replace("report: [json]",
                                           f"report: [{{markdown: {{filename: '{filename}'}}}}]")
    (tmp_path / "r.yaml").write_text(text)
    out = distil("validate", "r.yaml", cwd=tmp_path)
    assert out.returncode == 2, out.stdout
    assert out.stderr.startswith("error: r.yaml:6: report[0].markdown.filename: "), out.stderr


def test_the_reserved_names_are_the_run_directory_s_records():
    from distil.engine import rundir

    assert {rundir.MANIFEST, rundir.STORE, rundir.RECIPE_COPY} <= RUN_RECORDS
    for name in RUN_RECORDS:
        with pytest.raises(ValueError):
            check_output_file(name)
    assert check_output_file("report-2.md") == "report-2.md"
