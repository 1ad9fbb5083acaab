"""The quickstart recipe, as shipped, on the real embedded model (SmolLM2-135M GGUF).

The full recipe takes minutes (the README runs it); here it runs on a few documents with the
student left out, which its own tests cover (tests/students/test_local_lora.py): the teacher
refines with word-count feedback, the accepted outputs are exported, the model is evaluated and
the report written. Marked slow: it is a real model.
"""

import json
from pathlib import Path

import pytest
import yaml

from tests.core.clihelp import distil

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quickstart_on_the_local_model(tmp_path):
    recipe = yaml.safe_load((ROOT / "recipes" / "quickstart.yaml").read_text(encoding="utf-8"))
    assert recipe["teacher"]["model"]["local"]["model"] == "smollm2"
    recipe.pop("student")
    recipe["evaluate"]["models"] = ["teacher"]
    recipe["corpus"]["sample_news"] = {"text_field": "body"}
    path = tmp_path / "quickstart.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    out = distil("run", str(path), "--run-dir", str(tmp_path / "run"), "--limit", "2",
                 timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"wrote: {tmp_path / 'run' / 'report.md'}" in out.stdout
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    gen = results["generate"]
    assert gen["documents"] == 4  # --limit 2 of train and of validation
    assert gen["accepted"] + gen["rejected"] + gen["failed"] == 4
    assert gen["attempts"] >= 4
    stats = results["models"]["teacher"]["metrics"]["length_stats"]
    assert stats["n"] == 2 and stats["unit"] == "words" and stats["target"] == 25
    table = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "| mean |" in table and "| pass rate (all constraints) |" in table
    for line in (tmp_path / "run" / "train.jsonl").read_text(encoding="utf-8").splitlines():
        example = json.loads(line)["messages"]
        assert [m["role"] for m in example] == ["system", "user", "assistant"]
