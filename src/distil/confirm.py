"""Asking before money is spent, with one policy for every plugin.

A trainer that starts a paid job calls `confirm_spending(question, yes=run.yes)` first:
`distil run --yes` answers yes for the whole run (the train stage passes it in the
`TrainingRun`). Otherwise the question is put on the terminal; with no terminal to ask on (CI,
a pipe, nohup) nothing is spent and the user is told to pass `--yes`, rather than a job
silently starting or a prompt hanging forever.
"""

from __future__ import annotations

import sys

from distil.errors import UsageError


class NotConfirmed(UsageError):
    """The user said no (or could not be asked): nothing was spent."""


def is_interactive() -> bool:
    """True when there is a person at a terminal to answer a question."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def confirm_spending(question: str, *, yes: bool) -> None:
    """Return when spending is confirmed (`yes`, or the user said so); raise NotConfirmed."""
    if yes:
        return
    if not is_interactive():
        raise NotConfirmed(f"{question} -- not started: there is no terminal to confirm on; "
                           "pass --yes to go ahead")
    import click

    if not click.confirm(question, default=False, err=True):
        raise NotConfirmed("not started: you declined; nothing was spent")
