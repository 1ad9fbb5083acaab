"""The grammar of `json_schema` with `line:`: free text lines around one line of JSON.

llama-cpp-python's converter writes the schema's grammar with `root` as the JSON value. Here
that rule becomes `json-line`, its string characters lose what would end or split a line
(control characters, U+0085, U+2028, U+2029: `str.splitlines` splits on them), and a new
`root` puts it among plain lines, each starting with a non-space character so that it counts
as a non-empty line (`distil.text.lines.non_empty_lines`) exactly as the check counts it.
"""

from __future__ import annotations

import re
from typing import Literal

from distil.grammar import NotCompilable
from distil.grammar.ir import Grammar, rep, seq
from distil.grammar.layout import NON_SPACE, TEXT

CHAR_RULE = 'char ::= [^"\\\\]'  # as the converter writes it
ONE_LINE_CHAR = 'char ::= [^"\\\\\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]'
TEXT_RULE, JSON_RULE = "distil-text-line", "json-line"


def one_line_of(gbnf: str, line: int | Literal["last"]) -> str:
    """The whole output's grammar: `line - 1` text lines, the JSON line, then any more (or,
    for `last`, any text lines, then the JSON line)."""
    rules = re.findall(r"(?m)^([a-zA-Z0-9-]+) ::=", gbnf)
    if TEXT_RULE in rules or JSON_RULE in rules:
        raise NotCompilable(f"the schema's grammar already has a rule named {JSON_RULE} or "
                            f"{TEXT_RULE}")
    bodies = re.sub(r"(?m)^[a-zA-Z0-9-]+ ::=", "", gbnf)
    if re.search(r"(?<![\w-])root(?![\w-])", re.sub(r'"(\\.|[^"\\])*"', "", bodies)):
        raise NotCompilable("the schema's grammar refers to its own root")
    if "\n" + CHAR_RULE not in "\n" + gbnf or '"\\n"' in gbnf:
        raise NotCompilable("cannot keep the schema's JSON on one line (the converter's "
                            "grammar allows line breaks)")
    gbnf = re.sub(r"(?m)^root ::=", f"{JSON_RULE} ::=", gbnf)
    gbnf = gbnf.replace("\n" + CHAR_RULE, "\n" + ONE_LINE_CHAR) if not gbnf.startswith(
        CHAR_RULE) else ONE_LINE_CHAR + gbnf[len(CHAR_RULE):]
    text = Grammar({TEXT_RULE: seq(NON_SPACE, rep(TEXT, 0, None))}, root=TEXT_RULE).to_gbnf()
    if line == "last":
        root = f'root ::= ({TEXT_RULE} "\\n")* {JSON_RULE}\n'
    else:
        before = f'({TEXT_RULE} "\\n"){{{line - 1}}} ' if line > 1 else ""
        root = f'root ::= {before}{JSON_RULE} ("\\n" {TEXT_RULE})*\n'
    return root + text + gbnf
