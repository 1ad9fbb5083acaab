"""`distil plugins [NAME]`: what is installed, by kind, name and origin; one plugin's options.

The options come from the plugin's own pydantic model (`model_fields`), the same definition
that validates a recipe, so what this prints cannot drift from what a recipe may write.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import click
from pydantic_core import PydanticUndefined

from distil.cli.options import plugins_dir_option
from distil.errors import UsageError, did_you_mean
from distil.registry import Entry

KIND_NAMES = ["corpus", "constraint", "model", "strategy", "trainer", "metric", "reporter"]


@click.command("plugins")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--kind", type=click.Choice(KIND_NAMES), help="Only this kind.")
@plugins_dir_option
def command(name: str | None, as_json: bool, kind: str | None,
            plugins_dirs: tuple[str, ...]) -> None:
    """List every plugin with its kind, name and where it came from; with NAME, its options.

    Origins: `builtin:<entry point>` (shipped with distil), `entrypoint:<distribution>:<entry
    point>` (an installed package), `plugins-dir:<file>` (--plugins-dir or a recipe's plugins:).

    NAME (a plugin name or alias, such as `refine` or `char_count`) prints that plugin's
    options: type, default and description, as a recipe writes them. A name used by two kinds
    (`local` is a model and a trainer) shows both; `--kind` picks one.

    \b
      distil plugins --kind trainer
      distil plugins refine
      distil plugins local --kind trainer
    """
    from distil.plugins import get_host

    host = get_host(plugins_dirs)
    entries = [e for e in host.entries() if kind is None or e.kind == kind]
    if name is not None:
        _show(_named(entries, name, kind), as_json)
        return
    if as_json:
        click.echo(json.dumps([
            {"kind": e.kind, "name": e.name, "aliases": list(e.aliases), "source": e.source,
             "class": f"{e.cls.__module__}.{e.cls.__qualname__}", "description": e.describe()}
            for e in entries
        ], indent=2))
        return
    width = max((len(e.name) for e in entries), default=4)
    current = None
    for e in entries:
        if e.kind != current:
            current = e.kind
            click.echo(f"{e.kind}:")
        click.echo(f"  {e.name:<{width}}  {e.source}  {e.describe()}")


def _named(entries: list[Entry], name: str, kind: str | None) -> list[Entry]:
    """The entries called `name` (or aliased so); an unknown name says "did you mean"."""
    found = [e for e in entries if name == e.name or name in e.aliases]
    if found:
        return found
    known = [n for e in entries for n in (e.name, *e.aliases)]
    what = f"{kind} plugin" if kind else "plugin"
    hint = did_you_mean(name, known)
    raise UsageError(f"no {what} named {name!r}" + (f"; {hint}" if hint
                                                    else " (`distil plugins` lists them)"))


def _show(entries: list[Entry], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([
            {"kind": e.kind, "name": e.name, "aliases": list(e.aliases), "source": e.source,
             "description": e.describe(), "options": options(e.cls)} for e in entries
        ], indent=2, ensure_ascii=False))
        return
    width = min(100, shutil.get_terminal_size((100, 24)).columns)
    for i, e in enumerate(entries):
        if i:
            click.echo("")
        aliases = f" (also {', '.join(e.aliases)})" if e.aliases else ""
        click.echo(f"{e.kind} {e.name}{aliases}  {e.source}")
        click.echo(textwrap.fill(e.describe(), width, initial_indent="  ",
                                 subsequent_indent="  "))
        opts = options(e.cls)
        click.echo("")
        click.echo("options:" if opts else "options: none")
        for o in opts:
            default = "required" if o["required"] else f"default {_yaml(o['default'])}"
            click.echo(f"  {o['name']}: {o['type']}, {default}")
            if o["description"]:
                click.echo(textwrap.fill(o["description"], width, initial_indent="      ",
                                         subsequent_indent="      "))


def options(cls: type) -> list[dict[str, Any]]:
    """Each option of a plugin class: the name a recipe writes (the alias when there is one),
    its type, whether it is required, its default (JSON-ready) and its description."""
    out = []
    for field_name, info in getattr(cls, "model_fields", {}).items():
        required = info.is_required()
        default: Any = None
        if not required:
            factory = info.default_factory
            default = factory() if factory is not None else info.default  # type: ignore[call-arg]
            if default is PydanticUndefined:
                default = None
        out.append({"name": info.alias or field_name, "type": type_text(info.annotation),
                    "required": required, "default": _jsonable(default),
                    "description": info.description or ""})
    return out


def type_text(annotation: Any) -> str:
    """A type as a reader knows it: `int | None`, `'full' | 'last'`, `dict[str, Any]`."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if annotation is type(None):
        return "None"
    if origin is Literal:
        return " | ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        return " | ".join(type_text(a) for a in args)
    if origin is Annotated:
        return type_text(args[0])
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(type_text(a) for a in args)}]" if args else name
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _yaml(value: Any) -> str:
    """A default as a recipe would write it (JSON is YAML's flow style)."""
    return json.dumps(value, ensure_ascii=False)
