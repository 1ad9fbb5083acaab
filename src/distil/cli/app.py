"""The click group and its built-in commands.

Each command's module is imported when that command runs (or when its own help is asked for),
so `distil --help` imports none of them: the group lists them from `COMMANDS`, whose one-line
summaries tests/core/test_lazy_plugins.py checks against the commands' docstrings.
"""

from __future__ import annotations

import importlib

import click

from distil import __version__

# name -> (module holding `command`, the summary `distil --help` shows)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("distil.cli.run", "Run RECIPE: generate -> export -> train -> evaluate -> report."),
    "validate": ("distil.cli.validate", "Validate RECIPES: everything `distil run` would fail "
                                        "on, without calling a model."),
    "check": ("distil.cli.check", "Check a text against the constraints of CONSTRAINTS."),
    "plugins": ("distil.cli.plugins_cmd", "List every plugin with its kind, name and where it "
                                          "came from; with NAME, its options."),
    "models": ("distil.cli.models_cmd", "List model providers, with how a recipe names a model "
                                        "of each."),
    "corpus": ("distil.cli.corpus", "Inspect and fetch corpora."),
    "dataset": ("distil.cli.dataset", "Check fine-tuning datasets before they are uploaded or "
                                      "paid for."),
    "eval": ("distil.cli.eval_cmd", "Evaluate models single-shot on RECIPE's held-out "
                                    "documents."),
    "report": ("distil.cli.report_cmd", "Recompute RUN_DIR's figures from its store and write "
                                        "its reports again."),
    "compare": ("distil.cli.compare_cmd", "Compare the figures of RUN_A and RUN_B (run "
                                          "directories or results.json files)."),
    "export": ("distil.cli.export_cmd", "Write RUN's per-document records as JSONL, CSV or Parquet."),
    "bench": ("distil.cli.bench_cmd", "Run the benchmark SUITE: each recipe it lists with each "
                                      "model."),
    "student": ("distil.cli.student_cmd", "Export the student a run trained, in the formats "
                                          "people serve."),
}


class LazyGroup(click.Group):
    """A group whose built-in commands are imported on first use; plugin commands added with
    `add_command` are listed and run as in any group."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module = importlib.import_module(COMMANDS[cmd_name][0])
            self.add_command(module.command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.commands:  # imported already, or added by a plugin
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                rows.append((name, click.Command(name, help=COMMANDS[name][1])
                             .get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
