"""The bench matrix: tasks × models, a few headline figures per cell.

A bench's `results.json` holds, besides the suite's identity, every cell's full metrics; the
matrix picks four figures from them (pass rate, mean |deviation| from the target, mean latency,
total cost). `render_markdown` is what `distil bench` prints and the markdown reporter writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distil.results.figures import format_figure, interval_of, lookup

# (title, metric, figure, format, interval note)
MATRIX: list[tuple[str, str, str, str, str]] = [
    ("Pass rate", "pass_rate", "rate", "{:.1%}", "95% Wilson interval"),
    ("Mean |deviation| from target", "length_stats", "mean_abs_deviation", "{:.1f}",
     "95% bootstrap interval; in the length constraint's unit"),
    ("Latency, mean seconds", "latency", "mean", "{:.2f}", "95% bootstrap interval"),
    ("Cost, total USD", "cost", "total", "money", "cached answers cost nothing"),
]
TOTAL_KEYS = ("requests", "prompt_tokens", "completion_tokens", "cost", "request_errors")


def is_bench(results: Mapping[str, Any]) -> bool:
    return "suite" in results and "cells" in results


def bench_totals(cells: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = dict.fromkeys(TOTAL_KEYS, 0)
    totals["cost"] = 0.0
    for row in cells.values():
        for cell in row.values():
            for key in TOTAL_KEYS:
                totals[key] += (cell.get("totals") or {}).get(key) or 0
    return totals


def cell_figure(cell: Mapping[str, Any] | None, metric: str, key: str
                ) -> tuple[Any, tuple[float, float] | None]:
    if not cell:
        return None, None
    figures = (cell.get("metrics") or {}).get(metric) or {}
    return lookup(figures, key), interval_of(figures, key)


def format_cell(value: Any, ci: tuple[float, float] | None, fmt: str) -> str:
    text = format_figure(value, fmt)
    if value is not None and ci is not None:
        text += f" [{format_figure(ci[0], fmt)}, {format_figure(ci[1], fmt)}]"
    return text


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def render_markdown(results: Mapping[str, Any], *, heading_level: int = 2) -> list[str]:
    """One Markdown table per matrix figure: a row per task, a column per model (a bench of
    strategies: a table per task, a row per strategy, `distil.results.strategy_table`)."""
    from distil.results.strategy_table import is_strategy_bench, render_strategy_table

    if is_strategy_bench(results):
        return render_strategy_table(results, heading_level=heading_level)
    tasks = [t["name"] for t in results.get("tasks", [])]
    models = [m["label"] for m in results.get("models", [])]
    cells = results.get("cells", {})
    hashes = "#" * heading_level
    out: list[str] = []
    for title, metric, key, fmt, note in MATRIX:
        out += [f"{hashes} {title}", "", f"_{note}_", "",
                "| task | " + " | ".join(_cell(m) for m in models) + " |",
                "|---|" + "---|" * len(models)]
        for task in tasks:
            row = [format_cell(*cell_figure(cells.get(task, {}).get(m), metric, key), fmt)
                   for m in models]
            out.append(f"| {_cell(task)} | " + " | ".join(row) + " |")
        out.append("")
    return out
