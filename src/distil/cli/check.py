"""`distil check`: judge one text against a list of constraints."""

from __future__ import annotations

import json
import re
import sys

import click

from distil.cli.options import plugins_dir_option
from distil.errors import UsageError


@click.command("check")
@click.argument("constraints_file", metavar="CONSTRAINTS", type=click.Path(dir_okay=False))
@click.argument("text_file", metavar="[TEXT_FILE|-]", default="-", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--doc", "doc_id", metavar="ID",
              help="CONSTRAINTS is a recipe: judge the text as the answer to its corpus's "
                   "document ID, adding the document's own constraints (IFEval-style corpora).")
@click.option("--grammar", "grammar", is_flag=True,
              help="Print the constraints compiled to one GBNF grammar (no text is read), "
                   "and say which do not compile and why.")
@plugins_dir_option
def command(constraints_file: str, text_file: str, as_json: bool, doc_id: str | None,
            plugins_dirs: tuple[str, ...], grammar: bool = False) -> None:
    """Check a text against the constraints of CONSTRAINTS.

    CONSTRAINTS is a recipe, or any YAML file with a `constraints:` list. The text is read from
    TEXT_FILE, or from stdin when it is `-` or absent; it is judged exactly as written (only a
    single trailing newline, as added by editors and `echo`, is dropped).

    Exit status 0 when every constraint passed, 1 when some failed, 2 on bad input.

    \b
      echo "Short text." | distil check recipes/quickstart.yaml --json
      distil check recipes/ifeval.yaml answer.txt --doc 1000
      distil check recipes/quickstart.yaml --grammar
    """
    if grammar:
        from distil.cli.check_grammar import print_grammar

        sys.exit(print_grammar(_constraints(constraints_file, doc_id, plugins_dirs)[0]))
    text = _read_text(text_file)
    constraints, doc = _constraints(constraints_file, doc_id, plugins_dirs)
    verdicts = constraints.check(text, doc)
    passed = all(v.passed for v in verdicts)
    if as_json:
        click.echo(json.dumps({
            "passed": passed,
            "results": [{"constraint": v.constraint, "passed": v.passed,
                         "measured": v.to_dict()["measured"], "distance": v.distance,
                         "feedback": v.feedback} for v in verdicts],
        }, ensure_ascii=False))
    else:
        for v in verdicts:
            figures = ", ".join(f"{k}={_shown(val)}" for k, val in v.measured.items()
                                if val is not None and not isinstance(val, (dict, list)))
            mark = "PASS" if v.passed else "FAIL"
            click.echo(f"{mark}  {v.constraint}  {figures}")
            if v.feedback:  # a feedback sentence quoting the text may hold line breaks
                click.echo("      " + v.feedback.replace("\n", "\n      "))
    sys.exit(0 if passed else 1)


SHOWN_LIMIT = 40  # characters of a text figure (a match, a pattern) the table shows
_PLAIN = re.compile(r"[^\s,='\"\\]+")  # needs no quotes: `chars`, `今日は晴れです`


def _shown(value: object) -> str:
    """A figure as it fits on its table line: a plain word as it is; any other text quoted with
    its line breaks and tabs escaped (as Python writes a string); text cut at SHOWN_LIMIT
    characters; numbers and flags as they are."""
    if not isinstance(value, str):
        return str(value)
    cut = value[:SHOWN_LIMIT - 1] if len(value) > SHOWN_LIMIT else value
    more = "…" if cut != value else ""
    if _PLAIN.fullmatch(cut) and cut.isprintable():
        return cut + more
    return repr(cut) + more


def _constraints(path: str, doc_id: str | None, plugins_dirs: tuple[str, ...]):
    """The constraints to apply, and the document when `--doc` names one."""
    from distil.kinds import ConstraintSet
    from distil.recipe import load_constraints_file, load_recipe
    from distil.recipe.preflight import read_documents
    from distil.recipe.resolve import build_document_constraints

    if doc_id is None:
        return load_constraints_file(path, plugins_dirs), None
    recipe = load_recipe(path, plugins_dirs)
    for doc in read_documents(recipe):  # a bad corpus file is named with the recipe's line
        if doc.id == doc_id:
            own = build_document_constraints(recipe.host, doc.constraints,
                                             f"{path}: document {doc.id!r}")
            combined = ConstraintSet([*recipe.constraints, *own])
            if not len(combined):
                raise UsageError(f"{path}: document {doc_id!r} has no constraints to check")
            return combined, doc
    raise UsageError(f"{path}: the corpus has no document {doc_id!r}")


def _read_text(text_file: str) -> str:
    if text_file == "-":
        data = sys.stdin.buffer.read()
        where = "stdin"
    else:
        try:
            with open(text_file, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise UsageError(f"{text_file}: {exc.strerror}") from None
        where = text_file
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text
