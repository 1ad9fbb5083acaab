"""Every `distil ...` command shown in the README and docs names a real command and real options.

This is the quick, static half: no page shows a command or an option (the bracketed ones of a
synopsis included) that does not exist. tests/core/test_docs_commands_run.py runs every one of
these commands, offline, and checks what it does; the parsing here (`command_lines`) is shared.
"""

import re
import shlex
from pathlib import Path

import click
import pytest

from distil.cli import cli
from distil.cli import _load_plugin_commands

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


SHELL_LANGUAGES = ("", "bash", "sh", "console", "text", "shell")


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block of a page's text."""
    blocks, current, language = [], None, ""
    for line in text.splitlines():
        fence = re.match(r"^\s*```(\w*)\s*$", line)
        if fence and current is None:
            current, language = [], fence.group(1)
        elif fence:
            blocks.append((language, "\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def shell_blocks(text: str) -> list[str]:
    """The bodies of fenced blocks whose language is a shell (or unnamed, or text)."""
    return [body for language, body in code_blocks(text) if language in SHELL_LANGUAGES]


def block_lines(block: str) -> list[str]:
    """The block's lines, `$ ` prompts removed, with a synopsis wrapped onto indented lines that
    start with an option (`    [--no-cache] ...`) joined back onto its command."""
    lines: list[str] = []
    for raw in block.splitlines():
        line = raw.strip().removeprefix("$ ")
        wrapped = raw[:1].isspace() and line.startswith(("[", "-"))
        if wrapped and lines and "distil " in lines[-1]:
            lines[-1] += " " + line
        else:
            lines.append(line)
    return lines


def command_parts(line: str) -> list[str]:
    """The `distil ...` commands of one shell line: split at `&&` and at pipes (` | `, with
    spaces; `a|b` without spaces is a synopsis's choice and stays)."""
    parts = (part.strip() for part in re.split(r"&&| \| ", line))
    return [part for part in parts if part.startswith("distil ")]


def normalise(command: str) -> str:
    """A command as a page means it: no `# comment`, no trailing description (the README's
    synopsis, after three or more spaces), single spaces."""
    command = re.split(r"\s+#\s", command, maxsplit=1)[0]
    command = re.split(r"\s{3,}", command, maxsplit=1)[0]
    return " ".join(command.split())


def command_lines() -> list[tuple[str, str]]:
    """(page, command) for every `distil ...` command in a shell block of the README or docs."""
    out = []
    for page in PAGES:
        for block in shell_blocks(page.read_text(encoding="utf-8")):
            for line in block_lines(block):
                for part in command_parts(line):
                    out.append((page.relative_to(ROOT).as_posix(), part))
    return out


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    rest = list(words)
    ctx = click.Context(cli)
    while isinstance(command, click.Group) and rest and rest[0] in command.list_commands(ctx):
        found = command.get_command(ctx, rest.pop(0))  # a built-in command is imported here
        assert found is not None
        command = found
    return command, rest


LINES = command_lines()


def test_docs_show_commands():
    assert len(LINES) > 10


@pytest.mark.parametrize("page,line", LINES, ids=[f"{p}:{line[:50]}" for p, line in LINES])
def test_command_and_options_exist(page, line):
    _load_plugin_commands()
    words = shlex.split(normalise(line))[1:]
    if not words or words[0] in ("-h", "--help", "--version"):
        return
    command, rest = resolve(words)
    assert command is not cli, f"{page}: unknown command in {line!r}"
    assert not isinstance(command, click.Group), f"{page}: incomplete command {line!r}"
    known = {opt for p in command.params for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
    known |= {"--help", "-h"}
    for word in rest:
        # a synopsis writes optional parts in brackets and choices as `a|b` or `--x/--no-x`
        for piece in re.split(r"[|/]", word.strip("[]")) if word.startswith("[") else [word]:
            if piece.startswith("--") or (piece.startswith("-") and len(piece) == 2):
                name = piece.split("=", 1)[0]
                assert name in known, f"{page}: {line!r} uses {name}, not an option of it"
