"""One reader for every corpus file (distil.corpusio): bad bytes and bad lines are one line.

Before, a JSONL corpus that is not UTF-8 crashed `run`, `corpus stats` and `check --doc` with
a UnicodeDecodeError traceback while `validate` said ok, and the ifeval corpus read JSONL with
its own copy of the code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distil.corpusio import iter_jsonl, iter_lines, read_text
from distil.errors import SourceError, UsageError
from tests.core.clihelp import distil

LATIN1_LINE = '{"id": "b", "text": "café au lait"}\n'.encode("latin-1")
FIRST_LINE = b'{"id": "a", "text": "plain"}\n'
BAD_OFFSET = len(FIRST_LINE) + LATIN1_LINE.index(b"\xe9")

RECIPE = """\
name: t
corpus:
  jsonl: {path: data.jsonl}
teacher:
  model: {scripted: {outputs: ["ok"]}}
constraints:
  - char_count: {max: 50}
"""


@pytest.fixture
def latin1_corpus(tmp_path: Path) -> Path:
    (tmp_path / "data.jsonl").write_bytes(FIRST_LINE + LATIN1_LINE)
    (tmp_path / "r.yaml").write_text(RECIPE)
    return tmp_path


@pytest.mark.parametrize("command", [
    ("validate", "r.yaml"), ("run", "r.yaml"), ("corpus", "stats", "r.yaml"),
    ("check", "r.yaml", "-", "--doc", "b"),
], ids=["validate", "run", "corpus stats", "check --doc"])
def test_a_jsonl_file_that_is_not_utf8_is_one_line_in_every_command(latin1_corpus, command):
    out = distil(*command, cwd=latin1_corpus, stdin="ok")
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr and len(lines) == 1, out.stderr
    data = latin1_corpus / "data.jsonl"
    assert f"{data}: not utf-8 text (byte {BAD_OFFSET}: invalid continuation byte)" in lines[0]
    assert "set the corpus's `encoding` option" in lines[0]
    assert "r.yaml" in lines[0]
    assert not (latin1_corpus / "runs").exists()


def test_setting_the_encoding_reads_it(latin1_corpus):
    (latin1_corpus / "r.yaml").write_text(RECIPE.replace("{path: data.jsonl}",
                                                         "{path: data.jsonl, encoding: latin-1}"))
    out = distil("corpus", "stats", "r.yaml", "--json", cwd=latin1_corpus)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["documents"] == 2


def test_a_malformed_jsonl_line_names_file_and_line(tmp_path):
    (tmp_path / "data.jsonl").write_bytes(FIRST_LINE + b"\n" + b'{"id": "b", text}\n')
    (tmp_path / "r.yaml").write_text(RECIPE)
    out = distil("corpus", "stats", "r.yaml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().endswith(f"{tmp_path / 'data.jsonl'}:3: invalid JSON: Expecting "
                                       f"property name enclosed in double quotes (column 13)")


CORPORA = {
    # plugin: (options, files to write, the file the error names, hint fragment)
    "jsonl": ({"path": "d.jsonl"}, {"d.jsonl": FIRST_LINE + LATIN1_LINE}, "d.jsonl",
              "`encoding` option"),
    "sample_news": ({"path": "d.jsonl"}, {"d.jsonl": FIRST_LINE.replace(b"text", b"body")
                                          + LATIN1_LINE}, "d.jsonl", "`encoding` option"),
    "csv": ({"path": "d.csv"}, {"d.csv": b"id,text\na,plain\nb,caf\xe9\n"}, "d.csv",
            "`encoding` option"),
    "text_dir": ({"path": "docs"}, {"docs/a.txt": b"plain", "docs/b.txt": b"caf\xe9"},
                 "docs/b.txt", "`encoding` option"),
    "livedoor": ({"path": "text"}, {
        "text/peachy/peachy-1.txt": b"http://x/\n2012-01-01\nTitle\ncaf\xe9\n"},
        "text/peachy/peachy-1.txt", "the livedoor corpus is UTF-8"),
    "ifeval": ({"path": "i.jsonl"}, {"i.jsonl": b'{"key": 1, "prompt": "caf\xe9", '
                                                b'"instruction_id_list": [], "kwargs": []}\n'},
               "i.jsonl", "convert the file"),
}


@pytest.mark.parametrize("plugin", list(CORPORA))
def test_every_corpus_reports_bad_bytes_the_same_way(tmp_path, make_corpus, plugin):
    options, files, named, hint = CORPORA[plugin]
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    corpus = make_corpus(plugin, tmp_path, **options)
    with pytest.raises(SourceError) as info:
        list(corpus.iter_documents())
    message = str(info.value)
    assert message.startswith(f"{tmp_path / named}: not utf-8 text (byte "), message
    assert hint in message and info.value.field == "encoding"


def test_ifeval_reads_jsonl_through_the_shared_reader(tmp_path, make_corpus):
    (tmp_path / "i.jsonl").write_bytes(b'{"key": 1, "prompt": "p", "instruction_id_list": [], '
                                       b'"kwargs": []}\n\n{"key": 2,\n')
    corpus = make_corpus("ifeval", tmp_path, path="i.jsonl")
    with pytest.raises(SourceError, match=r"i\.jsonl:3: invalid JSON: Expecting property name"):
        list(corpus.iter_documents())


def test_csv_with_old_mac_line_endings(tmp_path, make_corpus):
    (tmp_path / "d.csv").write_bytes(b'id,text\ra,"one\r\ntwo"\rb,three\r')
    docs = list(make_corpus("csv", tmp_path, path="d.csv").iter_documents())
    assert [(d.id, d.text) for d in docs] == [("a", "one\r\ntwo"), ("b", "three")]


def test_utf16_is_decoded_whole(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes('{"id": "a", "text": "日本"}\n{"id": "b", "text": "x"}\n'.encode("utf-16"))
    assert [v["text"] for _, v in iter_jsonl(path, "utf-16")] == ["日本", "x"]


def test_a_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="cannot read .*nowhere.txt"):
        read_text(tmp_path / "nowhere.txt")
    with pytest.raises(SourceError, match="cannot read .*nowhere.txt"):
        list(iter_lines(tmp_path / "nowhere.txt"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["utf-8", "cp932", "latin-1", "utf-16"]))
def test_any_bytes_are_lines_or_one_source_error(tmp_path_factory, data, encoding):
    """Whatever the bytes: decoded lines that join back to the file's text, or one SourceError
    naming the file and a byte offset inside it."""
    path = tmp_path_factory.mktemp("bytes") / "f.txt"
    path.write_bytes(data)
    try:
        lines = [line for _, line in iter_lines(path, encoding)]
    except SourceError as exc:
        assert str(exc).startswith(f"{path}: not {encoding} text (byte ")
        offset = int(str(exc).split("(byte ")[1].split(":")[0])
        assert 0 <= offset < len(data)
    else:
        whole = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        assert "".join(lines) == whole
    try:
        list(iter_jsonl(path, encoding))
    except UsageError as exc:
        assert "\n" not in str(exc)
