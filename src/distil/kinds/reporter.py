"""Reporter: renders results for people (or other tools)."""

from __future__ import annotations

import abc
from pathlib import Path
from typing import Any

from pydantic import field_validator

from distil.kinds.base import Plugin
from distil.names import check_output_file


class Reporter(Plugin, abc.ABC):
    """Writes a rendering of `results` (the `results.json` content) into the run directory.

    A reporter with a `filename` option gets it checked here: a plain file name, so a recipe
    cannot make a report land outside the run directory or over the run's own records.
    """

    @field_validator("filename", check_fields=False)
    @classmethod
    def _a_file_of_the_run_directory(cls, value: str) -> str:
        return check_output_file(value)

    @abc.abstractmethod
    def render(self, results: dict[str, Any], run_dir: Path) -> Path:
        """Write the report and return its path."""
