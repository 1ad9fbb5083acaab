"""The click group and its built-in commands."""

from __future__ import annotations

import click

from distil import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="distil")
def cli() -> None:
    """distil: constrained-output LLM work.

    Check outputs against hard constraints (`distil check`), run recipes that generate teacher
    data, distil it into a student and evaluate models (`distil run`), and list what is
    installed (`distil plugins`).

    \b
    Quick start (offline, on the embedded SmolLM2 model):
      distil run recipes/quickstart.yaml
    """


def _register() -> None:
    from distil.cli import check, corpus, dataset, models_cmd, plugins_cmd, run, validate

    for module in (run, validate, check, plugins_cmd, models_cmd, corpus, dataset):
        cli.add_command(module.command)
    from distil.cli import bench_cmd, compare_cmd, eval_cmd, export_cmd, report_cmd  # evaluation commands
    for module in (eval_cmd, report_cmd, compare_cmd, bench_cmd, export_cmd):
        cli.add_command(module.command)


_register()
