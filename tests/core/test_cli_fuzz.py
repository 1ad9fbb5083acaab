"""Property tests of the command line under bad input (issue 11's done-when).

Random bytes, random YAML and random mutations of every shipped recipe go to `validate`,
`run --limit 1` (the teacher swapped for the offline `scripted` model), `check` and `report`.
Whatever comes in: the exit status is 0, 1 or 2, nothing escapes as a traceback, nothing is
written outside the run directory, and no file of an existing run is replaced by a shorter
rendering.

The commands run in-process through `distil.cli.main`, so an exception that would print a
traceback fails the test as that exception.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distil.cli import main

ROOT = Path(__file__).resolve().parents[2]
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))
SCRIPTED = {"scripted": {"outputs": ["A short answer.", "Another answer of a few words."]}}
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def invoke(*argv: str, cwd: Path) -> tuple[int, str]:
    """(exit status, stderr) of `distil ARGV` run in `cwd`."""
    err = io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                main(list(argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            else:
                code = 0
    finally:
        os.chdir(here)
    return code, err.getvalue()


def assert_clean(code: int, stderr: str) -> None:
    assert code in (0, 1, 2), (code, stderr)
    assert "Traceback" not in stderr, stderr


def tree(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True), st.text(max_size=40))
yaml_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)


def paths_in(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path of a nested mapping/list structure."""
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += paths_in(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += paths_in(v, (*prefix, i))
    return out


@st.composite
def mutated_recipes(draw) -> dict[str, Any]:
    """A shipped recipe with one random change: a value replaced, a key dropped, or renamed."""
    data = yaml.safe_load(draw(st.sampled_from(RECIPES)).read_text(encoding="utf-8"))
    where = draw(st.sampled_from(paths_in(data)))
    parent = data
    for part in where[:-1]:
        parent = parent[part]
    last = where[-1]
    action = draw(st.sampled_from(["replace", "drop", "rename"]))
    if action == "replace":
        parent[last] = draw(yaml_values)
    elif isinstance(parent, dict) and action == "drop":
        del parent[last]
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=12))] = parent.pop(last)
    else:
        parent.pop(last)
    return data


def offline(data: Any) -> Any:
    """The recipe with its models swapped for the scripted one and no student (quick)."""
    if isinstance(data, dict):
        data.pop("student", None)
        if isinstance(data.get("teacher"), dict):
            data["teacher"]["model"] = SCRIPTED
        if isinstance(data.get("evaluate"), dict) and isinstance(data["evaluate"].get("models"),
                                                                 list):
            data["evaluate"]["models"] = ["teacher"]
    return data


@pytest.fixture
def work(tmp_path) -> Path:
    for recipe in RECIPES:  # the recipes' relative paths (constraint files) keep working
        shutil.copy(recipe, tmp_path / recipe.name)
    return tmp_path


@FUZZ
@given(blob=st.binary(max_size=400))
def test_validate_survives_random_bytes(work, blob):
    (work / "r.yaml").write_bytes(blob)
    assert_clean(*invoke("validate", "--no-corpus", "r.yaml", cwd=work))


@FUZZ
@given(value=yaml_values)
def test_validate_survives_random_yaml(work, value):
    (work / "r.yaml").write_text(yaml.safe_dump(value), encoding="utf-8")
    assert_clean(*invoke("validate", "--no-corpus", "r.yaml", cwd=work))


@FUZZ
@given(data=mutated_recipes())
def test_validate_survives_mutated_recipes(work, data):
    (work / "r.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert_clean(*invoke("validate", "r.yaml", cwd=work))


@settings(FUZZ, max_examples=15)
@given(data=mutated_recipes())
def test_run_writes_only_into_its_run_directory(work, data):
    (work / "r.yaml").write_text(yaml.safe_dump(offline(data), allow_unicode=True),
                                 encoding="utf-8")
    shutil.rmtree(work / "run", ignore_errors=True)
    before = tree(work)
    code, stderr = invoke("run", "r.yaml", "--run-dir", "run", "--limit", "1", "--no-cache",
                          "--no-progress", cwd=work)
    assert_clean(code, stderr)
    added = {p for p in tree(work) - before if not p.startswith("run")}
    assert added == set(), added


@FUZZ
@given(text=st.text(max_size=300), blob=st.binary(max_size=200))
def test_check_survives_any_text(work, text, blob):
    (work / "answer.txt").write_text(text, encoding="utf-8")
    assert_clean(*invoke("check", "quickstart.yaml", "answer.txt", cwd=work))
    (work / "answer.bin").write_bytes(blob)
    assert_clean(*invoke("check", "quickstart.yaml", "answer.bin", cwd=work))


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A complete offline run (scripted teacher) of the bullets recipe, to damage."""
    here = tmp_path_factory.mktemp("finished")
    data = offline(yaml.safe_load((ROOT / "recipes" / "bullets-en.yaml").read_text()))
    data["corpus"] = {"inline": {"documents": [
        {"id": f"d{i}", "text": f"Document {i} says something.", "title": f"Story {i}"}
        for i in range(6)]},
        "split": {"train": 3, "validation": 1, "test": 2}}
    (here / "r.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    code, stderr = invoke("run", "r.yaml", "--run-dir", "run", "--no-cache", cwd=here)
    assert code in (0, 1), stderr
    return here / "run"


@settings(FUZZ, max_examples=15)
@given(target=st.sampled_from(["store.sqlite", "results.json", "manifest.json",
                               "recipe.yaml"]),
       cut=st.floats(0, 1), noise=st.binary(max_size=64))
def test_report_never_replaces_a_file_with_a_shorter_rendering(finished_run, tmp_path, target,
                                                               cut, noise):
    run = tmp_path / "run"
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(finished_run, run)
    damaged = run / target
    data = damaged.read_bytes()
    damaged.write_bytes(data[: int(len(data) * cut)] + noise)
    sizes = {p.name: p.stat().st_size for p in run.iterdir() if p.is_file()}
    assert_clean(*invoke("report", "run", cwd=tmp_path))
    for p in run.iterdir():
        if p.name in sizes and p.name != target and not p.name.startswith("store.sqlite"):
            assert p.stat().st_size >= sizes[p.name], p.name
