"""The error hierarchy.

Everything a user can get wrong raises a `DistilError` subclass carrying a readable message.
Only the CLI boundary (`distil.cli`) turns these into one line on stderr and exit status 2;
library callers get the exception.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DistilError(Exception):
    """Base of every error distil raises on purpose."""

    exit_code = 2


class UsageError(DistilError):
    """Bad input from the user: a file, an option, a recipe."""


class RecipeError(UsageError):
    """A recipe (or constraints file, or suite) is invalid.

    The message names the file, the line and the field: `recipe.yaml:12: teacher.model: ...`.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "")
        parts = [p for p in (where, self.field) if p]
        prefix = ": ".join(parts)
        return f"{prefix}: {self.detail}" if prefix else self.detail


class PluginError(DistilError):
    """A plugin could not be loaded or registered."""


class UnknownPluginError(UsageError):
    """A recipe or command names a plugin that is not registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        message = f"unknown {kind} {name!r}"
        hint = did_you_mean(name, known)
        if hint:
            message += f"; {hint}"
        super().__init__(message)


class Interrupted(DistilError):
    """The run was stopped (Ctrl-C, SIGTERM); its message says how to carry on."""

    exit_code = 130


class ModelError(DistilError):
    """A model request failed for good (after retries). The run records it and goes on."""

    exit_code = 1


class TransientModelError(ModelError):
    """A failure worth retrying: 429, 5xx, timeouts, dropped connections, malformed bodies.

    `retry_after` is the server's Retry-After in seconds, when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """'did you mean X?' for the closest known names, or None."""
    matches = difflib.get_close_matches(name, sorted(set(known)), n=3, cutoff=0.6)
    if not matches:
        return None
    return "did you mean " + " or ".join(repr(m) for m in matches) + "?"


class SourceError(UsageError):
    """An input file a plugin needs is missing or unreadable; `field` names the option.

    `fetch` is the command that downloads the missing data, when there is one (public corpora):
    `distil validate` then reports the recipe as valid, with a note, instead of failing.
    """

    def __init__(self, message: str, field: str = "path", fetch: str | None = None) -> None:
        self.field = field
        self.fetch = fetch
        super().__init__(message)
