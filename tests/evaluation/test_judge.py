"""The LLM judge: its parser, and its requests going through the engine (stored, retried,
priced, cached) so that `distil report` recomputes its scores without asking it again."""

from __future__ import annotations

import statistics

import pytest

from distil.errors import RecipeError
from distil.recipe import load_recipe
from distil_builtin.metrics.judge import Judge, parse_scores
from tests import storeview
from tests.core.clihelp import distil
from tests.evaluation.helpers import DOCS, results, write_recipe, write_replay
from tests.loopback import Reply

CRITERIA = ["coverage", "faithfulness"]


@pytest.mark.parametrize("text, expected", [
    ("Coverage: 4\nFaithfulness: 5", {"coverage": 4, "faithfulness": 5}),
    ("**Coverage**: 2/5\n**Faithfulness** - 3", {"coverage": 2, "faithfulness": 3}),
    ("coverage (1-5): 4\nfaithfulness (1 to 5): 1", {"coverage": 4, "faithfulness": 1}),
    ("Coverage: 4.5\nFaithfulness: 9", {"coverage": 4.5}),
    ("I liked it.", {}),
])
def test_parse_scores(text, expected):
    assert parse_scores(text, CRITERIA) == expected


def test_prompt_and_model_are_checked_when_the_recipe_loads(tmp_path):
    bad_template = write_recipe(tmp_path, name="j1", metrics='[{judge: {model: teacher, prompt: "{{ output "}}]')
    with pytest.raises(RecipeError, match=r"evaluate\.metrics\[0\]\.judge.*template"):
        load_recipe(bad_template)
    bad_model = write_recipe(tmp_path, name="j2", metrics="[{judge: {model: opneai/gpt-4.1}}]")
    with pytest.raises(RecipeError, match="did you mean 'openai'"):
        load_recipe(bad_model)
    with pytest.raises(ValueError, match="cannot be a criterion"):
        Judge(criteria=["score"])


def judge_recipe(tmp_path, url: str):
    judge = ("{judge: {model: {openai: {model: judge-mini, base_url: '%s', api_key_env: null, "
             "retry_base_delay: 0, prices: {input_per_million: 1.0, output_per_million: 4.0}}}, "
             "params: {temperature: 0}}}" % url)
    return write_recipe(tmp_path, name="judged", metrics=f"[pass_rate, {judge}]",
                        report="[markdown, json]")


def scores_for(request_json) -> str:
    """The loopback judge: coverage 4 for answers mentioning 'cat', else 2; faithfulness 5."""
    text = request_json["messages"][-1]["content"]
    answer = text.split("Summary:", 1)[1]
    return Reply(f"Coverage: {4 if 'cat' in answer.lower() else 2}\nFaithfulness: 5",
                 prompt_tokens=100, completion_tokens=10)


def test_judge_requests_are_stored_retried_priced_cached_and_never_repeated(tmp_path,
                                                                          loopback_server):
    outputs = {d: f"Label for {d}" for d, _, _ in DOCS}
    outputs["d1"] = "A cat on a mat"
    replay = write_replay(tmp_path / "answers.jsonl", outputs)
    recipe = judge_recipe(tmp_path, loopback_server.url)
    loopback_server.responder = scores_for
    loopback_server.enqueue(Reply.server_error(503))  # the first judge request fails once

    out = distil("eval", str(recipe), "-m", f"replay/{replay}", "--run-dir", "run1",
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    judge = results(tmp_path / "run1")["models"][f"replay/{replay}"]["metrics"]["judge"]
    # six answers judged; one mentions a cat (coverage 4), five do not (coverage 2)
    assert judge["n"] == 6 and judge["missing"] == 0 and judge["unparsed"] == 0
    assert judge["coverage"] == pytest.approx(statistics.fmean([4, 2, 2, 2, 2, 2]))
    assert judge["faithfulness"] == 5.0
    assert judge["score"] == pytest.approx(statistics.fmean([4.5, 3.5, 3.5, 3.5, 3.5, 3.5]))
    assert judge["score_ci95"][0] <= judge["score"] <= judge["score_ci95"][1]
    # priced from the usage the server reported: 6 × (100 × $1 + 10 × $4) per million
    assert judge["cost"] == pytest.approx(6 * (100 * 1.0 + 10 * 4.0) / 1e6)
    assert judge["judge"] == "openai/judge-mini"
    # 7 requests reached the server: one 503, retried, and six answers
    assert len(loopback_server.chat_requests) == 7
    assert storeview.attempts_by_stage(tmp_path / "run1") == {"evaluate": 6, "judge": 6}
    assert results(tmp_path / "run1")["totals"]["cost"] == pytest.approx(judge["cost"])

    # the same evaluation in a new run directory: every judge answer comes from the cache
    out = distil("eval", str(recipe), "-m", f"replay/{replay}", "--run-dir", "run2",
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert len(loopback_server.chat_requests) == 7
    again = results(tmp_path / "run2")["models"][f"replay/{replay}"]["metrics"]["judge"]
    assert again["score"] == judge["score"] and again["cost"] == 0.0  # cached answers are free

    # the judge is gone: the report is recomputed from the store alone
    loopback_server.stop()
    (tmp_path / "run1" / "results.json").unlink()
    out = distil("report", "run1", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "warning" not in out.stderr
    recomputed = results(tmp_path / "run1")["models"][f"replay/{replay}"]["metrics"]["judge"]
    assert recomputed == judge
