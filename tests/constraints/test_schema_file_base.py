"""`json_schema: {schema_file: ...}` is read from the folder of the file that names it (the
recipe, or the constraints file of `distil check`), wherever distil is run from."""

from __future__ import annotations

import json

from tests.core.clihelp import distil


def test_schema_file_is_relative_to_the_constraints_file_not_the_working_directory(tmp_path):
    folder = tmp_path / "project"
    (folder / "schemas").mkdir(parents=True)
    (folder / "schemas" / "answer.json").write_text(json.dumps(
        {"type": "object", "required": ["title"]}))
    (folder / "checks.yaml").write_text(
        "constraints:\n  - json_schema: {schema_file: schemas/answer.json}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    good = distil("check", str(folder / "checks.yaml"), cwd=elsewhere, stdin='{"title": "x"}')
    assert good.returncode == 0, good.stdout + good.stderr
    bad = distil("check", str(folder / "checks.yaml"), cwd=elsewhere, stdin='{"name": "x"}')
    assert bad.returncode == 1 and "title" in bad.stdout
    # a schemas/answer.json beside the working directory is not the one read
    (elsewhere / "schemas").mkdir()
    (elsewhere / "schemas" / "answer.json").write_text(json.dumps({"type": "array"}))
    again = distil("check", str(folder / "checks.yaml"), cwd=elsewhere, stdin='{"title": "x"}')
    assert again.returncode == 0, again.stdout
