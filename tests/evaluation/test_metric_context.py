"""What metrics see besides the records (distil.engine.metric_context), through a real run."""

from __future__ import annotations

import json

import yaml

from tests.core.clihelp import distil
from tests.engine.harness import env, write_recipe
from tests.loopback import Reply


def test_kept_closest_outputs_are_references_for_rouge(loopback_server, tmp_path):
    """`refine: {keep: closest}` keeps an output though none passed; ROUGE against the
    teacher's outputs must find it (not count the document as having no reference)."""
    loopback_server.responder = lambda payload: Reply("one two three four five six seven eight")
    recipe = write_recipe(tmp_path, loopback_server.url, docs=4,
                          strategy={"refine": {"max_rounds": 2, "keep": "closest"}})
    data = yaml.safe_load(recipe.read_text())
    data["evaluate"] = {"split": "train", "models": ["teacher"],
                        "metrics": [{"rouge": {"reference": "teacher"}}]}
    recipe.write_text(yaml.safe_dump(data, sort_keys=False))
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["generate"]["kept_closest"] == 4
    rouge = results["models"]["teacher"]["metrics"]["rouge"]
    assert rouge["missing_reference"] == 0 and rouge["n"] == 4
