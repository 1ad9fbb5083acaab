"""The report stage: render a run's results with its reporters, and write results.json.

A rendering never replaces a run's record with less: when the results.json already there
holds figures for more models, answers or documents than the new results (a store that lost
records, a recipe pointed at fewer documents), nothing is written and the run says why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from distil.engine.rundir import write_json_atomic
from distil.errors import UsageError
from distil.kinds import Reporter

RESULTS = "results.json"


class ShrinkingRendering(UsageError):
    """A rendering would hold less than the results.json it replaces; nothing was written."""


def _extent(results: dict[str, Any]) -> dict[str, int]:
    """How much a results.json holds: generated documents, and answers per model."""
    out = {"generate": (results.get("generate") or {}).get("documents", 0) or 0}
    models = results.get("models")
    for label, entry in (models.items() if isinstance(models, dict) else ()):
        out[f"model {label!r}"] = entry.get("answers", 0) or 0
    return out


def check_not_shrinking(run_dir: Path, results: dict[str, Any]) -> None:
    """Refuse to replace results.json with a rendering that holds less."""
    path = run_dir / RESULTS
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # nothing readable there to protect
    if not isinstance(old, dict):
        return
    new = _extent(results)
    for what, had in _extent(old).items():
        if new.get(what, 0) < had:
            raise ShrinkingRendering(f"{path}: not rewritten: it holds {had} for {what}, this rendering "
                             f"only {new.get(what, 0)} (the run's store has less in it than "
                             f"when that file was written)")


def render_reports(results: dict[str, Any], run_dir: Path, reporters: Sequence[Reporter]
                   ) -> list[Path]:
    """Every reporter's file, and results.json when no reporter wrote it."""
    check_not_shrinking(run_dir, results)
    paths = [r.render(results, run_dir) for r in reporters]
    if not any(p.name == RESULTS for p in paths):
        write_json_atomic(run_dir / RESULTS, results)
        paths.append(run_dir / RESULTS)
    return paths
