"""`distil validate` catches, without calling a model, what `distil run` then fails on.

Before, `validate` printed `ok` for every recipe below, and `run` failed on each at once (or,
for a misspelt request parameter, sent it to the provider).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from distil.errors import UsageError
from distil.recipe import load_recipe
from distil.recipe.preflight import preflight
from tests.core.clihelp import distil

GOOD = textwrap.dedent("""\
    name: t
    corpus:
      jsonl: {path: data.jsonl}
      split: {train: 2, test: 1}
    prompt:
      system: "Answer in {{ n }} words."
      user: "{{ doc.title }}: {{ doc.text }}"
      vars: {n: 5}
    constraints:
      - char_count: {max: 50, feedback: {over: "Cut {{ over }} {{ unit_word }}."}}
    teacher:
      model: {openai: {model: gpt-4.1-mini, params: {temperature: 0.2}}}
      strategy: {best_of_n: {n: 2, params: {seed: 1}}}
    evaluate:
      models: [teacher, {openai: {model: gpt-4.1-nano, params: {max_tokens: 20}}}]
    """)
ROWS = [{"id": "a", "title": "A", "text": "First."}, {"id": "b", "title": "B", "text": "Two."},
        {"id": "c", "title": "C", "text": "Third."}]


def jsonl(rows) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


LATIN1 = jsonl(ROWS[:2]) + '{"id": "c", "title": "C", "text": "café"}\n'.encode("latin-1")

# name: (recipe edit, data file bytes or None, the error's start, a fragment), all of which
# need the corpus read; the error names the recipe file, the line and the field.
WITH_CORPUS = {
    "split too large": (lambda t: t.replace("test: 1", "test: 5"), None,
                        "r.yaml:4: corpus.split: ", "the splits ask for 7 documents but only 3"),
    "sample too large": (lambda t: t.replace("  split: {train: 2, test: 1}", "  sample: 9"), None,
                         "r.yaml:4: corpus.sample: ", "sample is 9 but the corpus has only 3"),
    "duplicate ids": (None, jsonl([*ROWS, {"id": "b", "title": "", "text": "again"}]),
                      "r.yaml:3: corpus.jsonl: ", "documents 2 and 4 have the same id 'b'"),
    "empty corpus": (None, b"\n", "r.yaml:3: corpus.jsonl: ", "the corpus has no documents"),
    "missing document field": (lambda t: t.replace("doc.title", "doc.titel"), None,
                               "r.yaml:7: prompt.user: ", "has no attribute 'titel'"),
    "sandbox violation": (lambda t: t.replace("{{ doc.text }}", "{{ doc.text.__class__ }}"),
                          None, "r.yaml:7: prompt.user: ", "is unsafe"),
    "malformed JSONL line": (None, jsonl(ROWS[:2]) + b'{"id": "c", text: 1}\n',
                             "r.yaml:3: corpus.jsonl.path: ", "data.jsonl:3: invalid JSON"),
    "missing text field": (None, jsonl([*ROWS[:2], {"id": "c", "title": "C"}]),
                           "r.yaml:3: corpus.jsonl.text_field: ",
                           "data.jsonl:3: field 'text' is missing"),
    "document constraint typo": (None, jsonl([*ROWS[:2], {**ROWS[2], "constraints": [
        {"char_cont": {"max": 3}}]}]), "r.yaml:3: corpus.jsonl: document 'c': constraints[0]",
        "unknown constraint 'char_cont'; did you mean 'char_count'"),
    "not UTF-8": (None, LATIN1, "r.yaml:3: corpus.jsonl.encoding: ",
                  f"data.jsonl: not utf-8 text (byte {LATIN1.index(b'caf') + 3}: "),
}

# these are caught by `validate --no-corpus` too
WITHOUT_CORPUS = {
    "undefined variable": (lambda t: t.replace("{{ n }}", "{{ wrods }}"),
                           "r.yaml:6: prompt.system: ", "'wrods' is undefined"),
    "undefined var near a known one": (lambda t: t.replace("{{ n }}", "{{ vras.n }}"),
                                       "r.yaml:6: prompt.system: ", "did you mean 'vars'?"),
    "request param typo": (lambda t: t.replace("temperature: 0.2", "temprature: 0.2"),
                           "r.yaml:12: teacher.model.openai.params.temprature: ",
                           "unknown request parameter 'temprature'; did you mean 'temperature'?"),
    "eval model param typo": (lambda t: t.replace("max_tokens: 20", "max_token: 20"),
                              "r.yaml:15: evaluate.models[1].openai.params.max_token: ",
                              "did you mean 'max_tokens'"),
    "strategy param typo": (lambda t: t.replace("seed: 1", "sed: 1"),
                            "r.yaml:13: teacher.strategy.best_of_n.params.sed: ",
                            "unknown request parameter 'sed'"),
    "a server's own param": (lambda t: t.replace("temperature: 0.2", "top_k: 5"),
                             "r.yaml:12: teacher.model.openai.params.top_k: ",
                             "put a server's own parameters under `extra_body`"),
    "local/nosuchmodel": (lambda t: t.replace(
        "{openai: {model: gpt-4.1-mini, params: {temperature: 0.2}}}", "local/nosuchmodel"),
        "r.yaml:12: teacher.model", "not a shipped model (smollm2) nor an existing GGUF file"),
    "feedback variable": (lambda t: t.replace("{{ over }}", "{{ ovr }}"),
                          "r.yaml:10: constraints[0].char_count.feedback.over: ",
                          "'ovr' is undefined"),
    "feedback sandbox": (lambda t: t.replace("{{ over }}", "{{ over.__class__ }}"),
                         "r.yaml:10: constraints[0].char_count.feedback.over: ", "unsafe"),
}


def write(tmp_path: Path, text: str, data: bytes | None = None) -> Path:
    (tmp_path / "data.jsonl").write_bytes(jsonl(ROWS) if data is None else data)
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


def check(path: Path, read_corpus: bool = True) -> None:
    preflight(load_recipe(path), read_corpus=read_corpus)


def test_the_good_recipe_passes(tmp_path):
    check(write(tmp_path, GOOD))
    extra = GOOD.replace("temperature: 0.2", "temperature: 0.2, extra_body: {top_k: 5}")
    check(write(tmp_path, extra))


@pytest.mark.parametrize("case", list(WITH_CORPUS), ids=list(WITH_CORPUS))
def test_reading_the_corpus_catches(tmp_path, monkeypatch, case):
    edit, data, start, fragment = WITH_CORPUS[case]
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, edit(GOOD) if edit else GOOD, data)
    check(Path("r.yaml"), read_corpus=False)  # the recipe file alone is fine
    with pytest.raises(UsageError) as info:
        check(Path("r.yaml"))
    message = str(info.value)
    assert message.startswith(start) and fragment in message, message
    assert "\n" not in message
    assert path.exists()


@pytest.mark.parametrize("case", list(WITHOUT_CORPUS), ids=list(WITHOUT_CORPUS))
def test_the_recipe_alone_catches(tmp_path, monkeypatch, case):
    edit, start, fragment = WITHOUT_CORPUS[case]
    monkeypatch.chdir(tmp_path)
    write(tmp_path, edit(GOOD))
    with pytest.raises(UsageError) as info:
        preflight(load_recipe("r.yaml"), read_corpus=False)
    message = str(info.value)
    assert message.startswith(start) and fragment in message, message


def test_only_the_first_documents_are_rendered(tmp_path, monkeypatch):
    """The prompt is rendered for the first RENDERED_DOCUMENTS used documents, in run order."""
    from distil.recipe import preflight as module

    rows = [{"id": f"d{i}", "title": "T", "text": "x"} for i in range(6)]
    rows[3] = {"id": "d3", "text": "no title"}
    path = write(tmp_path, GOOD.replace("  split: {train: 2, test: 1}\n", ""), jsonl(rows))
    order = [d.id for d in module._used_documents(load_recipe(path))]
    assert sorted(order) == [r["id"] for r in rows]  # every document, shuffled by the seed
    monkeypatch.setattr(module, "RENDERED_DOCUMENTS", order.index("d3"))
    check(path)
    monkeypatch.setattr(module, "RENDERED_DOCUMENTS", order.index("d3") + 1)
    with pytest.raises(UsageError, match="has no attribute 'title' .*rendering document 'd3'"):
        check(path)


def test_the_cli_reads_the_corpus_unless_told_not_to(tmp_path):
    write(tmp_path, GOOD.replace("test: 1", "test: 5"))
    out = distil("validate", "r.yaml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error: r.yaml:4: corpus.split: the splits ask for 7"), out.stderr
    out = distil("validate", "--no-corpus", "r.yaml", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout == "ok: r.yaml\n", out.stderr
    assert "READS THE CORPUS" in distil("validate", "--help").stdout


def test_run_refuses_before_making_a_run_directory(tmp_path):
    write(tmp_path, GOOD.replace("doc.title", "doc.titel"))
    out = distil("run", "r.yaml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error: r.yaml:7: prompt.user: template error: "), out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_a_local_model_s_params_are_checked_against_llama_cpp():
    pytest.importorskip("llama_cpp")
    from distil_builtin.models.local import LocalModel

    known = LocalModel().accepted_params()
    assert {"temperature", "top_k", "repeat_penalty", "max_tokens",
            "max_completion_tokens"} <= known
    assert "temprature" not in known and "messages" not in known


def test_every_listed_openai_param_is_one_the_sdk_takes():
    import inspect

    from openai.resources.chat.completions import Completions

    from distil.chat_params import OPENAI_CHAT_PARAMS, PASS_THROUGH

    sdk = set(inspect.signature(Completions.create).parameters)
    assert OPENAI_CHAT_PARAMS | PASS_THROUGH <= sdk, (OPENAI_CHAT_PARAMS | PASS_THROUGH) - sdk


def test_validating_a_suite_preflights_each_recipe(tmp_path):
    write(tmp_path, GOOD.replace("doc.title", "doc.titel"))
    (tmp_path / "s.yaml").write_text("name: s\nrecipes: [r.yaml]\nmodels: [teacher]\n")
    out = distil("validate", "s.yaml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith(f"error: {tmp_path / 'r.yaml'}:7: prompt.user: template "
                                 f"error: "), out.stderr
