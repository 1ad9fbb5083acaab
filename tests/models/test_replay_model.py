"""The `replay` model: outputs on disk served by document id or by prompt."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from distil.errors import ModelError, SourceError
from distil.kinds.model import DOC_ID_PARAM
from distil.types import Message
from distil_builtin.models.replay import ReplayModel


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def ask(model: ReplayModel, user: str = "ignored", doc_id: str | None = None):
    params = {DOC_ID_PARAM: doc_id} if doc_id is not None else None
    return asyncio.run(model.complete([Message("system", "s"), Message("user", user)], params))


def test_by_id(tmp_path):
    path = write_jsonl(tmp_path / "out.jsonl", [
        {"id": "a", "output": "alpha"}, {"id": 7, "output": "seven"}, {"id": "c", "output": ""}])
    model = ReplayModel(path=str(path))
    assert model.wants_doc_id
    first = ask(model, doc_id="a")
    assert (first.text, first.cost, first.latency) == ("alpha", 0.0, 0.0)
    assert first.usage.total_tokens == 0
    assert ask(model, doc_id="7").text == "seven"  # ids compare as text
    assert ask(model, doc_id="c").text == ""       # an empty output is an output


def test_missing_id_names_it(tmp_path):
    model = ReplayModel(path=str(write_jsonl(tmp_path / "o.jsonl", [{"id": "a", "output": "x"}])))
    with pytest.raises(ModelError, match="'zz-404'"):
        ask(model, doc_id="zz-404")
    with pytest.raises(ModelError, match="_doc_id"):
        ask(model)  # match: id without an id


def test_custom_fields_and_response_fallback(tmp_path):
    path = write_jsonl(tmp_path / "o.jsonl", [{"key": "d1", "response": "from response"},
                                              {"key": "d2", "text": "from text"}])
    assert ask(ReplayModel(path=str(path), id_field="key"), doc_id="d1").text == "from response"
    custom = ReplayModel(path=str(path), id_field="key", output_field="text")
    assert ask(custom, doc_id="d2").text == "from text"
    with pytest.raises(ModelError, match="missing"):
        ask(custom, doc_id="d1")  # `response` stands in only for the default `output`


def test_by_prompt(tmp_path):
    path = write_jsonl(tmp_path / "o.jsonl", [
        {"prompt": "Summarise: cats.", "output": "- cats"},
        {"messages": [{"role": "system", "content": "s"},
                      {"role": "user", "content": "Summarise: dogs."}], "output": "- dogs"},
    ])
    model = ReplayModel(path=str(path), match="prompt")
    assert ask(model, "Summarise: cats.\n").text == "- cats"  # surrounding whitespace ignored
    assert ask(model, "Summarise: dogs.").text == "- dogs"
    with pytest.raises(ModelError, match="Summarise: birds"):
        ask(model, "Summarise: birds.")


def test_path_from_the_model_string_and_base_dir(tmp_path):
    write_jsonl(tmp_path / "out.jsonl", [{"id": "a", "output": "alpha"}])
    # `replay/out.jsonl` in a recipe in tmp_path
    model = ReplayModel.model_validate({"model": "out.jsonl"}, context={"base_dir": tmp_path})
    assert ask(model, doc_id="a").text == "alpha"
    with pytest.raises(ValueError, match="path"):
        ReplayModel()


@pytest.mark.parametrize("lines, message", [
    (['{"id": "a", "output": "x"}', "not json"], r"o\.jsonl:2: not a JSON object"),
    (['{"output": "x"}'], r"o\.jsonl:1: no 'id' field"),
    (['{"id": "a", "output": "x"}', '{"id": "a", "output": "y"}'], "appears twice"),
])
def test_bad_files_name_the_line(tmp_path, lines, message):
    (tmp_path / "o.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        ask(ReplayModel(path=str(tmp_path / "o.jsonl")), doc_id="a")


def test_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="cannot read"):
        ask(ReplayModel(path=str(tmp_path / "nope.jsonl")), doc_id="a")


def test_cache_identity_follows_the_file_content(tmp_path):
    path = write_jsonl(tmp_path / "o.jsonl", [{"id": "a", "output": "x"}])
    before = ReplayModel(path=str(path)).cache_identity()
    write_jsonl(path, [{"id": "a", "output": "changed"}])
    after = ReplayModel(path=str(path)).cache_identity()
    assert before != after
