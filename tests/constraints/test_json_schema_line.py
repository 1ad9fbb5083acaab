"""json_schema with `line: N` / `line: last`: the schema judges one line; its grammar.

The check: the numbered non-empty line (or the last) must be JSON that validates, the other
lines are free, and a text with too few lines fails with feedback naming the line. The grammar:
the other lines as text, the JSON kept on one line, accepted by llama.cpp's GBNF parser; and
`guided` sends no whole-output `response_format` schema for it.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from distil.grammar import NotCompilable, compile_constraints
from distil_builtin.constraints.json_line import one_line_of
from distil_builtin.constraints.json_schema import JsonSchema
from distil_builtin.constraints.line_count import LineCount
from distil_builtin.strategies.guided import _single_schema

TAGS = {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["tags"], "additionalProperties": False}
TEXT_LINE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                    min_size=1, max_size=20).filter(str.strip)


def _parses(gbnf: str) -> None:
    from llama_cpp import LlamaGrammar

    LlamaGrammar.from_string(gbnf, verbose=False)  # raises ValueError when it does not parse


@given(st.lists(TEXT_LINE, max_size=3), st.lists(TEXT_LINE, max_size=3),
       st.lists(st.text(max_size=8), max_size=3))
def test_the_numbered_line_holds_the_json_and_the_others_are_free(before, after, tags):
    good = json.dumps({"tags": tags})
    text = "\n".join([*before, good, *after])
    n = len(before) + 1
    assert JsonSchema(schema=TAGS, line=n).check(text).passed
    assert JsonSchema(schema=TAGS, line="last").check(text).passed == (not after)
    bad = "\n".join([*before, json.dumps({"tag": tags}), *after])
    verdict = JsonSchema(schema=TAGS, line=n).check(bad)
    assert not verdict.passed and verdict.measured["valid_json"]


def test_blank_lines_do_not_count_and_a_missing_line_is_named():
    c = JsonSchema(schema=TAGS, line=2)
    assert c.check('Headline\n\n  \n{"tags": ["a"]}\nmore').passed
    verdict = c.check("Headline only")
    assert not verdict.passed
    assert verdict.feedback == "Put the JSON on line 2: the text has only 1 non-empty line."
    last = JsonSchema(schema=TAGS, line="last").check("\n")
    assert last.feedback == "Put the JSON on the last line: the text has only 0 non-empty lines."
    # a line that is not JSON at all, or JSON split over lines
    assert not c.check("Headline\nnot json").passed
    assert not c.check('Headline\n{"tags":\n["a"]}').passed


def test_options_that_do_not_go_together_are_refused():
    with pytest.raises(ValidationError, match="counts from 1"):
        JsonSchema(schema=TAGS, line=0)
    with pytest.raises(ValidationError, match="do not go together"):
        JsonSchema(schema=TAGS, line=1, allow_fence=True)


@pytest.mark.parametrize(("line", "root"), [
    (1, 'root ::= json-line ("\\n" distil-text-line)*'),
    (3, 'root ::= (distil-text-line "\\n"){2} json-line ("\\n" distil-text-line)*'),
    ("last", 'root ::= (distil-text-line "\\n")* json-line'),
])
def test_the_grammar_puts_the_json_on_that_line(line, root):
    result = compile_constraints([JsonSchema(schema=TAGS, line=line), LineCount(max=5)])
    gbnf = result.gbnf
    assert gbnf.splitlines()[0] == root
    assert "json-line ::= \"{\"" in gbnf and not re.search(r"(?m)^root ::= \"\{\"", gbnf)
    assert "\\x00-\\x1f" in gbnf and "\\u2028" in gbnf  # strings cannot break the line
    _parses(gbnf)
    assert "does not combine" in dict(result.skipped)[LineCount(max=5).name]


def test_a_grammar_that_could_break_the_line_is_not_compiled():
    with pytest.raises(NotCompilable, match="one line"):  # whitespace that may be a newline
        one_line_of('root ::= "{" ws "}"\nchar ::= [^"\\\\]\nws ::= | " " | "\\n" [ \\t]{0,20}\n', 1)
    with pytest.raises(NotCompilable, match="one line"):  # a string rule distil does not know
        one_line_of('root ::= "\\"" [^"]* "\\""\n', 1)
    with pytest.raises(NotCompilable, match="own root"):
        one_line_of('root ::= "[" root? "]"\nchar ::= [^"\\\\]\n', 1)


def test_guided_sends_no_whole_output_schema_for_one_line():
    assert _single_schema([JsonSchema(schema=TAGS)]) == TAGS
    assert _single_schema([JsonSchema(schema=TAGS, line="last")]) is None
