"""The `distil` command line: one click group, one module per command.

User errors (`distil.errors.DistilError`) become one line on stderr and exit status 2 (1 for a
run that finished with failures); a traceback is shown only with DISTIL_DEBUG=1.
"""

from __future__ import annotations

import os
import sys

import click

from distil.cli.app import cli
from distil.errors import DistilError, Interrupted


def _load_plugin_commands() -> None:
    from distil.plugins import get_host

    get_host().register_commands(cli)


def main(argv: list[str] | None = None) -> None:
    debug = os.environ.get("DISTIL_DEBUG") == "1"
    try:
        _load_plugin_commands()
        cli.main(args=argv, prog_name="distil", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:
        # click turns a Ctrl-C inside a command into Abort; say what a stopped run kept
        interrupted = isinstance(exc.__context__, KeyboardInterrupt)
        click.echo("Interrupted: everything finished so far is saved." if interrupted
                   else "Aborted.", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("Interrupted: everything finished so far is saved.", err=True)
        sys.exit(130)
    except Interrupted as exc:  # Ctrl-C or SIGTERM during a run: say how to carry on
        click.echo(str(exc), err=True)
        sys.exit(exc.exit_code)
    except DistilError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(0)


__all__ = ["cli", "main"]
