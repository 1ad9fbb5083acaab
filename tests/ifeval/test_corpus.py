"""The `ifeval` corpus: IFEval-format rows become documents carrying their own constraints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from distil.errors import SourceError, UsageError
from distil.plugins import build_constraint
from tests.ifeval.conftest import DATA

ROWS = [
    {"key": 1000, "prompt": "Write without commas, in at least 300 words.",
     "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
     "kwargs": [{"num_words": None}, {"relation": "at least", "num_words": 300,
                                      "keyword": None}]},
    {"key": 7, "prompt": "句点を使わずに書いてください。",
     "instruction_id_list": ["ja:punctuation:no_period"], "kwargs": [{}]},
]


def write(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def corpus_cls(host):
    return host.get("corpus", "ifeval")


def test_rows_become_documents_with_their_constraints(corpus_cls, tmp_path):
    docs = list(corpus_cls(path=str(write(tmp_path / "in.jsonl", ROWS))).iter_documents())
    assert [d.id for d in docs] == ["1000", "7"]
    assert docs[0].text == ROWS[0]["prompt"]
    assert docs[0].constraints == (
        {"ifeval/punctuation:no_comma": {}},
        {"ifeval/length_constraints:number_words": {"relation": "at least", "num_words": 300}},
    )
    assert docs[1].constraints == ({"m-ifeval-ja/ja:punctuation:no_period": {}},)
    assert docs[0].fields["key"] == 1000 and docs[0].fields["pack"] == "ifeval"
    assert docs[1].fields["pack"] == "m-ifeval-ja"
    assert docs[0].fields["instruction_id_list"] == ROWS[0]["instruction_id_list"]


def test_every_spec_builds_through_the_registry(corpus_cls, tmp_path):
    docs = corpus_cls(path=str(write(tmp_path / "in.jsonl", ROWS))).iter_documents()
    built = [build_constraint(dict(spec)) for doc in docs for spec in doc.constraints]
    assert [c.name for c in built] == ["ifeval/punctuation:no_comma",
                                       "ifeval/length_constraints:number_words",
                                       "m-ifeval-ja/ja:punctuation:no_period"]


def test_mode_is_passed_to_every_constraint(corpus_cls, tmp_path):
    doc = next(iter(corpus_cls(path=str(write(tmp_path / "in.jsonl", ROWS[:1])),
                               mode="loose").iter_documents()))
    assert all(spec[name]["mode"] == "loose" for spec in doc.constraints for name in spec)


def test_pack_option_forces_the_namespace(corpus_cls, tmp_path):
    rows = [{"key": 1, "prompt": "p", "instruction_id_list": ["punctuation:no_comma"],
             "kwargs": [{}]}]
    doc = next(iter(corpus_cls(path=str(write(tmp_path / "in.jsonl", rows)),
                               pack="m-ifeval-ja").iter_documents()))
    assert doc.constraints == ({"m-ifeval-ja/punctuation:no_comma": {}},)
    with pytest.raises(ValueError, match="unknown constraint"):
        build_constraint(dict(doc.constraints[0]))


def test_relative_paths_resolve_against_the_recipe(corpus_cls, tmp_path):
    write(tmp_path / "data.jsonl", ROWS)
    corpus = corpus_cls.model_validate({"path": "data.jsonl"}, context={"base_dir": tmp_path})
    corpus.check_sources()
    assert len(list(corpus.iter_documents())) == 2


def test_missing_file_is_a_source_error(corpus_cls, tmp_path):
    corpus = corpus_cls.model_validate({"path": "nope.jsonl"}, context={"base_dir": tmp_path})
    with pytest.raises(SourceError, match="nope.jsonl") as err:
        corpus.check_sources()
    assert err.value.field == "path"


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "invalid JSON"),  # the shared corpus reader words it so
    ('{"key": 1, "prompt": "p"}', "missing instruction_id_list, kwargs"),
    ('{"key": 1, "prompt": "p", "instruction_id_list": ["a", "b"], "kwargs": [{}]}',
     "2 instruction ids but 1 kwargs"),
])
def test_bad_rows_name_the_line(corpus_cls, tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[1]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match=f"bad.jsonl:2: .*{message}"):
        list(corpus_cls(path=str(path)).iter_documents())


def test_exactly_one_source(corpus_cls):
    with pytest.raises(ValidationError):
        corpus_cls()
    with pytest.raises(ValidationError):
        corpus_cls(path="a.jsonl", dataset="google/IFEval")


def test_hugging_face_route_says_what_to_install(corpus_cls, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_datasets(name, *args, **kwargs):
        if name == "datasets":
            raise ImportError("no datasets")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_datasets)
    with pytest.raises(SourceError, match="pip install datasets"):
        corpus_cls(dataset="google/IFEval").check_sources()


@pytest.mark.skipif(not (DATA / "ifeval").is_dir(), reason=f"shared datasets not found at {DATA}")
def test_reads_the_published_inputs(corpus_cls):
    docs = list(corpus_cls(path=str(DATA / "ifeval" / "input_data.jsonl")).iter_documents())
    ja = list(corpus_cls(path=str(DATA / "m-ifeval-ja" / "ja_input_data.jsonl")).iter_documents())
    assert (len(docs), sum(len(d.constraints) for d in docs)) == (541, 834)
    assert (len(ja), sum(len(d.constraints) for d in ja)) == (172, 226)
