"""How a run ends and what it says (issues 11 and 12): exit status from the store, failures
named and counted, resume asking again for what failed, and each "nothing to do" said in a line.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import yaml

from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import env, kill, start, summary_reply, wait_for_attempts, write_recipe
from tests.loopback import Reply

SPLIT = {"train": 3, "validation": 1, "test": 2}


def refuse_all(payload):
    return Reply.http_error(400, "Invalid prompt (loopback).")


def edit(recipe: Path, **changes) -> Path:
    data = yaml.safe_load(recipe.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    recipe.write_text(yaml.safe_dump(data, sort_keys=False))
    return recipe


def test_exit_status_does_not_depend_on_the_metrics_listed(loopback_server, tmp_path):
    loopback_server.responder = refuse_all
    recipe = write_recipe(tmp_path, loopback_server.url, docs=6, split=SPLIT)
    edit(recipe, evaluate={"models": ["teacher"], "metrics": ["length_stats"]})
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, env=env())
    assert out.returncode == 1, out.stderr
    assert "finished with failures: 4 documents failed in generate, 2 answers failed in " \
           "evaluate" in out.stderr
    # the reasons, grouped and counted: one request per document (a 400 is not retried)
    assert "6 requests failed: openai/loopback-model: HTTP 400: Invalid prompt (loopback). (6)" \
        in out.stderr
    assert "Traceback" not in out.stderr
    out = distil("report", "run", "--format", "markdown", cwd=tmp_path, env=env())
    report = (tmp_path / "run" / "report.md").read_text()
    assert "- generate: 4 requests failed: openai/loopback-model: HTTP 400: Invalid prompt " \
           "(loopback)." in report
    assert "- evaluate: 2 requests failed: " in report


def test_resume_asks_again_for_what_failed_and_then_succeeds(loopback_server, tmp_path):
    loopback_server.responder = refuse_all
    recipe = write_recipe(tmp_path, loopback_server.url, docs=6, split=SPLIT)
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, env=env())
    assert out.returncode == 1
    statuses = {o["status"] for o in storeview.outcomes(tmp_path / "run").values()}
    assert statuses == {"failed"}

    loopback_server.responder = summary_reply  # the provider is back
    out = distil("run", "--resume", "run", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    assert "generate: asking again for 4 documents that failed before" in out.stderr
    assert "evaluate: asking again for 2 answers whose request failed before" in out.stderr
    statuses = {o["status"] for o in storeview.outcomes(tmp_path / "run").values()}
    assert "failed" not in statuses
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["models"]["teacher"]["failed"] == 0
    assert results["totals"]["request_errors"] == 0  # every failure was answered later
    assert "failures" not in results or not results["failures"]


def test_truncated_answers_are_counted_and_flagged(loopback_server, tmp_path):
    loopback_server.responder = lambda payload: Reply("summary w1 w2", finish_reason="length")
    recipe = write_recipe(tmp_path, loopback_server.url, docs=6, split=SPLIT)
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    assert "4 answers cut off by the token limit" in out.stdout
    assert "2 truncated answers" in out.stdout
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["generate"]["truncated"] == 4
    assert results["models"]["teacher"]["truncated"] == 2
    out = distil("report", "run", "--format", "markdown", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    report = (tmp_path / "run" / "report.md").read_text()
    assert "- generate: 4 answers cut off by the token limit" in report
    assert "- teacher: 2 answers cut off by the token limit" in report


def test_no_document_accepted_exits_1(loopback_server, tmp_path):
    loopback_server.responder = lambda payload: Reply("far too many words in this answer ok")
    recipe = write_recipe(tmp_path, loopback_server.url, docs=6, split=SPLIT,
                          strategy="single", evaluate=False)
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, env=env())
    assert out.returncode == 1, out.stderr
    assert "no document was accepted (of 4 documents)" in out.stderr


def test_nothing_to_run_exits_1_and_stages_with_nothing_to_do_say_so(loopback_server, tmp_path):
    recipe = write_recipe(tmp_path, loopback_server.url, docs=6, split=SPLIT, evaluate=False)
    out = distil("run", str(recipe), "--run-dir", "run", "--stage", "export", cwd=tmp_path,
                 env=env())
    assert out.returncode == 0, out.stderr
    assert "export: nothing to do: no document has been generated yet" in out.stderr
    out = distil("run", str(recipe), "--run-dir", "run", "--stage", "train", cwd=tmp_path,
                 env=env())
    assert out.returncode == 0, out.stderr
    assert "train: nothing to do: the recipe has no student" in out.stderr

    edit(recipe, teacher=None)
    out = distil("run", str(recipe), "--run-dir", "run2", cwd=tmp_path, env=env())
    assert out.returncode == 1
    assert out.stderr.strip().endswith("nothing to run: the recipe has no teacher and no "
                                       f"evaluate section (add one, or use `distil eval "
                                       f"{recipe} --model MODEL`)")
    assert not (tmp_path / "run2").exists()
    assert loopback_server.requests == []


def test_an_empty_corpus_is_one_line(loopback_server, tmp_path):
    recipe = write_recipe(tmp_path, loopback_server.url, docs=0)
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, env=env())
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].endswith("the corpus has no documents")
    assert "Traceback" not in out.stderr


def test_sigterm_stops_like_ctrl_c_and_names_the_resume_command(loopback_server, tmp_path):
    loopback_server.responder = summary_reply
    loopback_server.latency = 0.2
    recipe = write_recipe(tmp_path, loopback_server.url, docs=40,
                          split={"train": 30, "validation": 5, "test": 5}, concurrency=2)
    proc = start("run", str(recipe), "--run-dir", "run", "--no-cache", cwd=tmp_path)
    wait_for_attempts(tmp_path / "run", proc, 3)
    assert kill(proc, signal.SIGTERM) == 130
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "Interrupted: everything finished so far is saved. Carry on with: "
        "distil run --resume run")
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["stages"]["run"]["status"] == "interrupted"


COUNTING_METRIC = '''
from pathlib import Path
from distil.hookspecs import hookimpl
from distil.kinds import Metric

LOG = Path(__file__).with_name("computed.log")


class Counted(Metric):
    """Counts how often it is computed."""

    def compute(self, records, context):
        with LOG.open("a") as f:
            f.write(context["label"] + "\\n")
        return {"n": len(records)}


@hookimpl
def register_metrics(register):
    register("counted", Counted)
'''


def test_metrics_are_computed_once_per_model_per_run(loopback_server, tmp_path):
    loopback_server.responder = summary_reply
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "counting.py").write_text(COUNTING_METRIC)
    recipe = write_recipe(tmp_path, loopback_server.url, docs=6, split=SPLIT)
    edit(recipe, plugins=["plugins"],
         evaluate={"models": ["teacher"], "metrics": ["counting/counted", "pass_rate"]})
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    assert (plugins / "computed.log").read_text().splitlines() == ["teacher"]


def test_answers_from_the_cache_are_marked_and_kept_out_of_latency(loopback_server, tmp_path):
    loopback_server.responder = summary_reply
    recipe = write_recipe(tmp_path, loopback_server.url, docs=6, split=SPLIT, evaluate=False)
    args = ("eval", str(recipe), "--model", "teacher")
    first = distil(*args, "--run-dir", "first", cwd=tmp_path, env=env())
    assert first.returncode == 0, first.stderr
    again = distil(*args, "--run-dir", "again", cwd=tmp_path, env=env())
    assert again.returncode == 0, again.stderr
    measured = json.loads((tmp_path / "first" / "results.json").read_text())["models"]["teacher"]
    replayed = json.loads((tmp_path / "again" / "results.json").read_text())["models"]["teacher"]
    assert measured["cached"] == 0 and measured["metrics"]["latency"]["n"] == 2
    assert replayed["cached"] == 2
    assert replayed["metrics"]["latency"]["n"] == 0  # nothing was measured now
    assert replayed["metrics"]["latency"]["cached"] == 2
    assert "2 cached answers" in again.stdout


def test_a_template_failing_on_a_later_document_names_file_line_and_field(tmp_path):
    """distil validate renders the first documents; one further on that breaks the prompt
    stops the run with the recipe's file, line and field, and the document."""
    from distil.engine.splits import sample_and_split
    from distil.recipe.preflight import RENDERED_DOCUMENTS
    from distil.types import Document

    docs = [{"id": f"d{i:02d}", "text": f"Story {i}.", "title": f"Title {i}"} for i in range(40)]
    order = sample_and_split([Document(d["id"], d["text"]) for d in docs], sample=None, seed=0,
                             split=None)["train"]
    late = order[RENDERED_DOCUMENTS + 5].id  # past what preflight renders
    del next(d for d in docs if d["id"] == late)["title"]
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "late-template-error",
        "corpus": {"inline": {"documents": docs}},
        "prompt": {"user": "{{ doc.title }}: {{ doc.text }}"},
        "constraints": [{"word_count": {"max": 5}}],
        "teacher": {"model": {"scripted": {"outputs": ["a short answer"]}},
                    "concurrency": 1},
    }, sort_keys=False))
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    line = out.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: {recipe}:") and ": prompt.user: template error: " in line
    assert f"rendering document '{late}'" in line and "Traceback" not in out.stderr
