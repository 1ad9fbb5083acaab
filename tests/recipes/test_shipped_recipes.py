"""Every shipped recipe runs end to end against the loopback OpenAI-compatible server.

Each recipe is taken as shipped, with only what a test machine needs changed: its models point
at the loopback server (same model ids, so pricing is exercised), its corpus at test data
written for distil (the livedoor-format fixture, the bundled sample corpus, the shared IFEval
files), and fewer documents. A `local` student trains for real, on the tiny random Llama model
the trainer's own tests build (tests/students/tiny_model.py), for one epoch on one thread. The
quickstart runs on the real local model in its own test.
"""

import json
from pathlib import Path

import pytest
import yaml

from tests.core.clihelp import distil
from tests.corpora.ldcc_fixture import build_tarball
from tests.ifeval.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
RECIPES = sorted(p.name for p in (ROOT / "recipes").glob("*.yaml") if p.name != "quickstart.yaml")
SMALL_SPLIT = {"train": 4, "validation": 1, "test": 3}
STUDENT_SPLIT = {"train": 12, "validation": 2, "test": 3}
# a summary the livedoor recipe accepts: three ・ lines, 100 code points as written
SUMMARY_100 = "\n".join(["・" + "あ" * 32, "・" + "い" * 32, "・" + "う" * 31])
# one sentence of 25 words, as the news summary recipe asks
SUMMARY_25 = ("The council approved a new footbridge over the river, which will open next spring "
              "after two years of planning, a public vote and a debate.")
# three bullets of 50 words in all, as bullets-en asks
BULLETS_50 = ("- The council approved a new footbridge over the river after two years of careful "
              "planning.\n- Residents chose its design in a public ballot held in the old town "
              "hall last spring.\n- Work starts in March, and the bridge should open to walkers "
              "and cyclists by the end of next summer.")
# three "- " bullets of 100 characters in all (newlines and markers counted), as bullets-100 asks
BULLETS_100 = ("- The council approved a footbridge.\n- Residents chose its design.\n"
               "- Work starts in March next year.")
# a record json-extract's schema accepts
RECORD = json.dumps({"headline": "Council approves a footbridge over the river",
                     "category": "local", "organisations": ["Calderport City Council"],
                     "places": ["Calderport"],
                     "gist": "The council approved a new footbridge that will open next spring."})
# the default echo fails these recipes' constraints, and a run that accepts nothing exits 1:
# the loopback server answers as a good teacher would, so the run exports a dataset (and
# trains the student on it)
ANSWERS = {"livedoor-summary-100.yaml": SUMMARY_100, "news-summary-100.yaml": SUMMARY_25,
           "bullets-en.yaml": BULLETS_50, "bullets-100.yaml": BULLETS_100,
           "json-extract.yaml": RECORD}


def loopback(model, url: str):
    """A recipe model spec, pointed at the loopback server with the same model id."""
    if isinstance(model, str):
        if model in ("teacher", "student"):
            return model
        model_id = model.split("/", 1)[1] if "/" in model else model
        if model.startswith("litellm/"):
            model_id = model_id.split("/", 1)[1]
        return {"openai": {"model": model_id, "base_url": url, "api_key_env": None}}
    (name, options), = model.items()
    return {"openai": {**{k: v for k, v in options.items() if k in ("model", "params")},
                       "base_url": url, "api_key_env": None}}


def adapt(recipe: dict, url: str, data: Path) -> dict:
    corpus = recipe["corpus"]
    if "livedoor" in corpus:
        corpus["livedoor"]["path"] = str(build_tarball(data))
    if "split" in corpus:
        # a student needs at least 10 training examples (OpenAI's minimum)
        split = STUDENT_SPLIT if recipe.get("student") else SMALL_SPLIT
        corpus["sample"] = sum(split.values())
        corpus["split"] = dict(split)
    if recipe.get("teacher"):
        recipe["teacher"]["model"] = loopback(recipe["teacher"]["model"], url)
        recipe["teacher"]["concurrency"] = 4
    if recipe.get("student"):
        (trainer, options), = recipe["student"].items()
        if trainer == "local":
            pytest.importorskip("peft", reason='needs the train extra: pip install -e ".[train]"')
            from tests.students.tiny_model import build_tiny_model
            options.update(base_model=str(build_tiny_model(data / "tiny-base")), device="cpu",
                           threads=1, epochs=1)
        else:
            assert trainer == "openai"
            options.update(base_url=url, api_key_env=None, poll_interval=0.01)
    evaluate = recipe.setdefault("evaluate", {})
    models = [loopback(m, url) for m in evaluate.get("models") or []]
    evaluate["models"] = models or [loopback("openai/gpt-4.1-mini", url)]
    return recipe


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_runs_end_to_end(name, tmp_path, openai_jobs_server):
    url = openai_jobs_server.url + "/v1" if not openai_jobs_server.url.endswith("/v1") \
        else openai_jobs_server.url
    recipe = yaml.safe_load((ROOT / "recipes" / name).read_text(encoding="utf-8"))
    if "ifeval" in recipe["corpus"]:
        pack = recipe["corpus"]["ifeval"]
        stem = "ifeval/input_data.jsonl" if "m-ifeval" not in name else \
            "m-ifeval-ja/ja_input_data.jsonl"
        if not DATA.is_dir():
            pytest.skip(f"benchmark data not at {DATA}")
        pack["path"] = str(DATA / stem)
        recipe["corpus"]["sample"] = 5
        recipe["evaluate"]["models"] = [loopback("openai/gpt-4.1-mini", url)]
    else:
        adapt(recipe, url, tmp_path)
    if name in ANSWERS:
        openai_jobs_server.responder = lambda request: ANSWERS[name]
    path = tmp_path / name
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = distil("run", str(path), "--run-dir", str(tmp_path / "run"), "--yes", "--no-cache")
    assert out.returncode == 0, out.stderr[-2000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["recipe"] == recipe["name"]
    assert results["models"], "no model was evaluated"
    for entry in results["models"].values():
        assert entry["metrics"], entry
    if recipe.get("teacher"):
        split = recipe["corpus"]["split"]
        assert results["generate"]["documents"] == split["train"] + split["validation"]
    if recipe.get("student"):
        trainer = next(iter(recipe["student"]))
        student = results["models"]["student"]["model"]
        assert student.startswith("openai/ft:" if trainer == "openai" else "transformers/"), student
        assert results["models"]["student"]["metrics"]["pass_rate"]
    assert (tmp_path / "run" / "report.md").is_file()
