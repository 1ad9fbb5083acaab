"""The strategy table of a bench with `strategies:`: per task, a row per strategy.

Columns: the pass rate with its 95% Wilson interval; requests, tokens and seconds per accepted
output (all of a document's requests count, accepted or not: what an accepted output cost);
then the quality signal: the share of answers that end mid-sentence, and ROUGE-L F1 and the
judge's score where the suite measures them (a column appears when some cell has the metric).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distil.results.figures import format_figure, interval_of, lookup
from distil.wording import plural

# (heading, where in a cell, format); `strategy.*` is distil.suite.strategies.strategy_figures
COLUMNS: list[tuple[str, str, str]] = [
    ("pass rate [95% CI]", "metrics.pass_rate.rate", "{:.0%}"),
    ("requests / accepted", "strategy.requests_per_accepted", "{:.1f}"),
    ("tokens / accepted", "strategy.tokens_per_accepted", "{:,.0f}"),
    ("s / accepted", "strategy.seconds_per_accepted", "{:.1f}"),
    ("mid-sentence", "metrics.mid_sentence.rate", "{:.0%}"),
    ("ROUGE-L F1", "metrics.rouge.f1", "{:.3f}"),
    ("judge", "metrics.judge.score", "{:.2f}"),
]
OPTIONAL = ("metrics.rouge.f1", "metrics.judge.score")


def is_strategy_bench(results: Mapping[str, Any]) -> bool:
    return bool((results.get("suite") or {}).get("strategies"))


def _value(cell: Mapping[str, Any] | None, path: str, fmt: str) -> str:
    if not cell:
        return "–"
    value = lookup(cell, path)
    text = format_figure(value, fmt)
    parent, _, key = path.rpartition(".")
    figures = lookup(cell, parent)
    ci = interval_of(figures, key) if isinstance(figures, Mapping) else None
    if value is not None and ci is not None and path.endswith("pass_rate.rate"):
        text += f" [{ci[0]:.0%}, {ci[1]:.0%}]"
    return text


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def render_strategy_table(results: Mapping[str, Any], *, heading_level: int = 2) -> list[str]:
    """One Markdown table per task: a row per strategy, the columns above."""
    cells = results.get("cells", {})
    every = [c for row in cells.values() for c in row.values()]
    columns = [c for c in COLUMNS
               if c[1] not in OPTIONAL or any(lookup(cell, c[1]) is not None for cell in every)]
    out: list[str] = []
    for task in results.get("tasks", []):
        row = cells.get(task["name"], {})
        n = next((c["strategy"]["documents"] for c in row.values()
                  if (c.get("strategy") or {}).get("documents")), None)
        out += [f"{'#' * heading_level} {task['name']}", "",
                f"_{plural(n or 0, 'document')}; the same for every strategy_", "",
                "| strategy | " + " | ".join(h for h, _, _ in columns) + " |",
                "|---|" + "---|" * len(columns)]
        for model in results.get("models", []):
            cell = row.get(model["label"])
            out.append(f"| {_cell(model['label'])} | "
                       + " | ".join(_value(cell, path, fmt) for _, path, fmt in columns) + " |")
        out.append("")
    return out
