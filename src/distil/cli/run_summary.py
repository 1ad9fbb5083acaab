"""What `distil run`, `distil eval` and `distil bench` print when a run ends, and the exit
status it comes to: both read from the run's store, never from which metrics a recipe lists.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from distil.wording import plural

# What a run directory holds before its first request: removable if the run stops at once.
FRESH_RUN_FILES = {"recipe.yaml", "manifest.json", "manifest.json.tmp", "store.sqlite",
                   "store.sqlite-wal", "store.sqlite-shm"}


def echo_paths(paths: Iterable[Path]) -> None:
    for p in paths:
        click.echo(f"wrote: {p}")


def echo_models(results: dict[str, Any]) -> None:
    """One line per evaluated model: pass rate, mean length, and what went wrong."""
    for label, entry in results.get("models", {}).items():
        figures = entry["metrics"]
        line = f"evaluate: {label}" + (f" ({entry['model']})" if entry["model"] != label else "")
        rate = figures.get("pass_rate", {}).get("rate")
        if rate is not None:
            line += f": pass rate {rate:.0%}"
        mean = figures.get("length_stats", {}).get("mean")
        if mean is not None:
            line += f", mean length {mean:.1f} {figures['length_stats'].get('unit') or ''}"
        notes = [plural(entry[k], f"{k} answer") for k in ("failed", "truncated", "cached")
                 if entry.get(k)]
        click.echo(line.rstrip() + (f" ({', '.join(notes)})" if notes else ""))


def echo_generation(results: dict[str, Any]) -> None:
    gen = results.get("generate") or {}
    if not gen:
        return
    first = gen["first_shot_pass_rate"]
    line = (f"generate: {gen['accepted']} of {plural(gen['documents'], 'document')} accepted "
            f"({plural(gen['attempts'], 'request')}"
            + (f", first-shot pass rate {first:.0%}" if first is not None else "") + ")")
    if gen.get("truncated"):
        line += f"; {plural(gen['truncated'], 'answer')} cut off by the token limit"
    click.echo(line)


def exit_for(outcome: Any, *, generated: bool) -> None:
    """Exit 1, saying why, when requests failed for good or no document was accepted."""
    if outcome is None:
        return
    if outcome.failed:
        parts = []
        if outcome.failed_documents:
            parts.append(f"{plural(outcome.failed_documents, 'document')} failed in generate")
        if outcome.failed_answers:
            parts.append(f"{plural(outcome.failed_answers, 'answer')} failed in evaluate")
        click.echo(f"finished with failures: {', '.join(parts)}", err=True)
        echo_reasons(outcome.reasons)
        sys.exit(1)
    if generated and outcome.nothing_accepted:
        click.echo(f"finished, but no document was accepted (of "
                   f"{plural(outcome.documents, 'document')}): the dataset is empty",
                   err=True)
        sys.exit(1)


def echo_reasons(reasons: dict[str, int]) -> None:
    total = sum(reasons.values())
    if not total:
        return
    click.echo(f"{plural(total, 'request')} failed: " + "; ".join(
        f"{reason} ({count})" for reason, count in reasons.items()), err=True)


def remove_if_untouched(run_dir: Path, existed: bool) -> None:
    """Remove a run directory this command made when it stopped before anything was stored:
    a run that fails on bad input leaves no empty run directory behind."""
    if existed or not run_dir.is_dir():
        return
    names = {p.name for p in run_dir.iterdir()}
    if names <= FRESH_RUN_FILES:
        from distil.engine.store import RunStore

        try:
            store = RunStore.open(run_dir / "store.sqlite")
            empty = store.totals()["requests"] == 0 and not store.outcomes()
            store.close()
        except Exception:
            return
        if empty:
            shutil.rmtree(run_dir)
