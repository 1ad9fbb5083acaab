"""The `guided` strategy: the compiled grammar reaches the model, in the field its server takes.

Through the real `openai` model plugin and `distil run` against the loopback server (which
records every request body), for each `grammar_field`; the errors and the `fallback: check`
path; and through llama-cpp-python's grammar path on the local SmolLM2 model, where every
output must satisfy the compiled constraints at one request per document.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from distil.grammar import compile_constraints
from distil.types import Message
from distil_builtin.constraints.bullets import Bullets
from distil_builtin.constraints.char_count import CharCount
from distil_builtin.constraints.word_count import WordCount
from distil_builtin.models.local import LocalModel
from distil_builtin.strategies.guided import Guided
from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import MAX_WORDS, env, write_recipe
from tests.loopback import Reply

SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}},
          "required": ["title"], "additionalProperties": False}


def run(recipe: Path, run_dir: str, *args: str, status: int = 0):
    out = distil("run", str(recipe), "--run-dir", run_dir, "--no-cache", *args,
                 cwd=recipe.parent, env=env())
    assert out.returncode == status, out.stderr
    return out


def guided_recipe(tmp_path: Path, url: str, docs: int = 3, constraints=None,
                  **options) -> Path:
    strategy = {"guided": options.pop("strategy", {})}
    recipe = write_recipe(tmp_path, url, docs=docs, evaluate=False, strategy=strategy,
                          model=options)
    if constraints is not None:
        spec = yaml.safe_load(recipe.read_text(encoding="utf-8"))
        spec["constraints"] = constraints
        recipe.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return recipe


def word_grammar() -> str:
    gbnf = compile_constraints([WordCount(max=MAX_WORDS)]).gbnf
    assert gbnf is not None
    return gbnf


@pytest.mark.parametrize(("field", "where", "other"), [
    ("grammar", lambda body: body["grammar"], "structured_outputs"),
    ("vllm", lambda body: body["structured_outputs"]["grammar"], "grammar"),
])
def test_the_grammar_goes_in_the_servers_field(field, where, other, loopback_server,
                                               tmp_path):
    loopback_server.responder = lambda payload: Reply("short and fine")  # what it would write
    recipe = guided_recipe(tmp_path, loopback_server.url, grammar_field=field)
    run(recipe, "run")

    bodies = [r.json for r in loopback_server.chat_requests]
    assert len(bodies) == 3  # one request per document
    assert all(where(b) == word_grammar() for b in bodies)
    assert not any(other in b for b in bodies)
    statuses = {o["status"] for o in storeview.outcomes(tmp_path / "run").values()}
    assert statuses == {"accepted"}


def test_openai_response_format_carries_a_single_json_schema(loopback_server, tmp_path):
    loopback_server.responder = lambda payload: Reply(json.dumps({"title": "ok"}))
    recipe = guided_recipe(tmp_path, loopback_server.url, grammar_field="response_format",
                           constraints=[{"json_schema": {"schema": SCHEMA}}])
    run(recipe, "run")

    bodies = [r.json for r in loopback_server.chat_requests]
    assert len(bodies) == 3
    for body in bodies:
        assert body["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": SCHEMA, "strict": True}}
        assert "grammar" not in body and "json_schema" not in body
    statuses = {o["status"] for o in storeview.outcomes(tmp_path / "run").values()}
    assert statuses == {"accepted"}


def test_response_format_refuses_a_set_that_is_not_one_json_schema(loopback_server, tmp_path):
    recipe = guided_recipe(tmp_path, loopback_server.url, grammar_field="response_format")
    out = run(recipe, "run", status=2)

    assert "takes only a JSON schema" in out.stderr and "fallback: check" in out.stderr
    assert "Traceback" not in out.stderr
    assert loopback_server.chat_requests == []


def test_a_model_without_a_grammar_field_is_a_one_line_error(loopback_server, tmp_path):
    recipe = guided_recipe(tmp_path, loopback_server.url)
    out = run(recipe, "run", status=2)

    line = [ln for ln in out.stderr.splitlines() if ln.startswith("error:")]
    assert len(line) == 1, out.stderr
    assert "openai/loopback-model takes no grammar" in line[0]
    assert "grammar_field" in line[0] and "Traceback" not in out.stderr
    assert loopback_server.chat_requests == []


def test_fallback_check_sends_unguided(loopback_server, tmp_path):
    recipe = guided_recipe(tmp_path, loopback_server.url, strategy={"fallback": "check"})
    run(recipe, "run", status=1)  # the loopback's echo is too long: checked, and rejected

    bodies = [r.json for r in loopback_server.chat_requests]
    assert len(bodies) == 3
    assert not any(k in b for b in bodies for k in ("grammar", "structured_outputs",
                                                    "response_format"))


def test_the_set_compiles_once_per_distinct_set(monkeypatch):
    calls = []
    import distil_builtin.strategies.guided as guided

    def counting(constraints):
        calls.append(1)
        return compile_constraints(constraints)

    monkeypatch.setattr(guided, "compile_constraints", counting)
    strategy = Guided()
    model = LocalModel()
    for _ in range(3):
        strategy.grammar_params(model, [WordCount(max=5)])
    strategy.grammar_params(model, [WordCount(max=6)])
    assert len(calls) == 2


# -- the real llama-cpp-python grammar path -------------------------------------------------
THREE_BULLETS = [Bullets(count=3), CharCount(min=40, max=60)]


@pytest.mark.slow
def test_local_guided_outputs_satisfy_the_compiled_constraints(tmp_path):
    """Three documents of the bundled corpus, one request each, every output passing."""
    recipe = tmp_path / "guided.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "guided-local",
        "corpus": {"sample_news": {"text_field": "body"}, "seed": 3,
                   "split": {"train": 3, "validation": 0, "test": 0}},
        "prompt": {"system": "Summarise the article as three short bullet points.",
                   "user": "{{ doc.text }}"},
        "constraints": [{"bullets": {"count": 3}}, {"char_count": {"min": 40, "max": 60}}],
        "teacher": {"model": {"local": {"model": "smollm2", "n_threads": 2,
                                        "params": {"temperature": 0, "max_tokens": 60}}},
                    "strategy": {"guided": {}}, "concurrency": 1},
        "report": ["json"],
    }), encoding="utf-8")
    out = distil("run", str(recipe), "--run-dir", "run", "--no-cache", "--limit", "3",
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr

    attempts = storeview.attempts(tmp_path / "run")
    assert len(attempts) == 3  # one request per document
    for a in attempts:
        text = a.attempt.completion.text
        assert all(c.check(text).passed for c in THREE_BULLETS), text
    assert {o["status"] for o in storeview.outcomes(tmp_path / "run").values()} == {"accepted"}


@pytest.mark.slow
def test_local_model_decodes_under_the_grammar_text():
    """The `grammar` call param (GBNF text) steers llama.cpp: an unguided answer to this
    prompt is a sentence; under the grammar it is three bullets of 40-60 characters."""
    gbnf = compile_constraints(THREE_BULLETS).gbnf
    prompt = [Message("user", "Say hello.")]
    model = LocalModel(n_threads=2, params={"temperature": 0, "max_tokens": 60})
    text = asyncio.run(model.complete(prompt, {"grammar": gbnf})).text
    assert all(c.check(text).passed for c in THREE_BULLETS), text


def test_local_model_turns_the_grammar_text_into_one_llama_grammar():
    """The text becomes `llama_cpp.LlamaGrammar` (what create_chat_completion takes), made once
    per text; the call params, which the request key is made of, keep the text."""
    from llama_cpp import LlamaGrammar

    gbnf = compile_constraints(THREE_BULLETS).gbnf
    params = {"grammar": gbnf}
    model = LocalModel()
    first = model._request([Message("user", "hi")], params)["grammar"]
    again = model._request([Message("user", "hello")], params)["grammar"]
    assert isinstance(first, LlamaGrammar) and first is again
    assert first._grammar == gbnf and params == {"grammar": gbnf}


def test_the_grammar_is_part_of_the_request_key():
    """Two grammars for the same messages are two requests in the run store (and the cache)."""
    from types import SimpleNamespace

    from distil.engine.requests import RequestPipeline
    from distil.kinds import ConstraintSet
    from distil.types import Document

    strategy, model = Guided(), LocalModel()
    doc, messages = Document(id="d1", text="x"), [Message("user", "hi")]
    keys = set()
    for constraints in ([WordCount(max=5)], [WordCount(max=6)], [WordCount(max=5)]):
        params = strategy.grammar_params(model, constraints)
        req = RequestPipeline.prepare(SimpleNamespace(cache=object(), postprocessors={}),
                                      "generate", "teacher",
                                      model, doc, messages, 0, 0, params,
                                      ConstraintSet(constraints))
        assert req.params["grammar"] == compile_constraints(constraints).gbnf
        keys.add((req.key, req.ckey))
    assert len(keys) == 2


def test_a_set_where_nothing_compiles_is_an_error_unless_fallback_check():
    from distil.errors import UsageError
    from distil_builtin.constraints.sentence_count import SentenceCount

    constraints = [SentenceCount(max=2)]
    with pytest.raises(UsageError, match="no constraint compiles to a grammar"):
        Guided().grammar_params(LocalModel(), constraints)
    assert Guided(fallback="check").grammar_params(LocalModel(), constraints) is None


@pytest.mark.parametrize(("field", "params", "expected"), [
    ("response_format", {"json_schema": SCHEMA},
     {"response_format": {"type": "json_schema",
                          "json_schema": {"name": "output", "schema": SCHEMA, "strict": True}}}),
    ("vllm", {"grammar": "root ::= \"a\""},
     {"structured_outputs": {"grammar": "root ::= \"a\""}}),
])
def test_a_batch_line_carries_the_grammar_in_the_same_field(field, params, expected):
    from distil_builtin.models.openai_api import OpenAIModel

    body = OpenAIModel(model="m", grammar_field=field).batch_line(
        "c1", [Message("user", "hi")], params)["body"]
    assert {k: body[k] for k in expected} == expected
    assert "grammar" not in body and "json_schema" not in body
