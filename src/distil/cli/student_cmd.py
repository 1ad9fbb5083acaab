"""`distil student`: the trained student of a finished run (`export`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from distil.cli.options import plugins_dir_option
from distil.errors import UsageError

FORMATS = ("gguf", "gguf-adapter", "peft", "ollama")
GGUF_TYPES = ("q8_0", "f16")


@click.group("student")
def command() -> None:
    """Export the student a run trained, in the formats people serve.

    \b
      distil student export runs/quickstart/20261124-101500 --format ollama
    """


@command.command("export", short_help="(Re)make the student's GGUF, GGUF adapter, peft "
                                      "adapter or Ollama Modelfile.")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path())
@click.option("--format", "fmt", required=True, metavar="|".join(FORMATS),
              help="gguf: student.gguf, the base GGUF with the adapter merged in; "
                   "gguf-adapter: adapter.gguf, for llama.cpp's --lora over the base; peft: "
                   "the adapter folder (vLLM --enable-lora); ollama: a Modelfile "
                   "(FROM ./student.gguf, made first when missing).")
@click.option("--type", "gguf_type", default=None, metavar="|".join(GGUF_TYPES),
              help="The merged GGUF's type (default: the run's `gguf_type`, q8_0 unless set).")
@click.option("--output", "-o", type=click.Path(), default=None,
              help="Where to write (default: its place in RUN_DIR/student/, rebuilt there; "
                   "an existing file elsewhere is never replaced).")
@plugins_dir_option
def export(run_dir: str, fmt: str, gguf_type: str | None, output: str | None,
           plugins_dirs: tuple[str, ...]) -> None:
    """(Re)make one export of the student trained in RUN_DIR by the `local` trainer.

    The peft adapter in RUN_DIR/student/adapter/ is the source of every other format and is
    never written over. Files are written under a temporary name and renamed into place.

    \b
      distil student export runs/quickstart/20261124-101500 --format gguf --type f16
      distil student export runs/quickstart/20261124-101500 --format peft -o my-adapter
    """
    from distil.plugins import get_host

    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if gguf_type is not None and gguf_type not in GGUF_TYPES:
        raise UsageError(f"--type {gguf_type!r}: choose one of {', '.join(GGUF_TYPES)}")
    run = Path(run_dir)
    plan = _student_plan(run)
    host = get_host(plugins_dirs)
    where = run / "student" / "plan.json"
    name = plan.get("trainer")
    if not isinstance(name, str):
        raise UsageError(f"{where}: trainer: missing")
    try:
        trainer = host.get("trainer", name).model_validate(plan.get("options") or {})
    except UsageError as exc:
        raise UsageError(f"{where}: trainer: {exc}") from None
    except ValueError as exc:  # pydantic's ValidationError: options this version refuses
        first = str(exc).splitlines()[1:2] or [str(exc)]
        raise UsageError(f"{where}: options: {first[0].strip()}") from None
    path = trainer.export(run, fmt, Path(output) if output else None,
                          {"gguf_type": gguf_type} if gguf_type else None)
    click.echo(f"wrote: {path}")


def _student_plan(run: Path) -> dict[str, Any]:
    """The plan the run's trainer saved; a one-line error when there is no such student."""
    if not (run / "manifest.json").is_file():
        raise UsageError(f"{run}: not a run directory (no manifest.json)")
    where = run / "student" / "plan.json"
    if not where.is_file():
        if (run / "student.json").is_file():
            raise UsageError(f"{run / 'student.json'}: this run's student is a provider's "
                             "fine-tune; only a student trained here (`local`) exports")
        raise UsageError(f"{where}: no local student in this run (a recipe with "
                         "`student: {local: ...}` trains one)")
    try:
        plan = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{where}: unreadable ({exc})") from None
    if not isinstance(plan, dict):
        raise UsageError(f"{where}: not a JSON object")
    return plan
