"""The comparison table every report shows: one column per model, one row per figure.

The Markdown and HTML reporters draw the same rows from here, in the write-up's order (the
length figures first), so the two reports always agree. A row whose figure no model has is
left out; an interval, when the metric gives one, goes beside its figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from distil.results.figures import format_figure, interval_of
from distil.wording import plural

# (label, metric, figure, format)
ROWS: list[tuple[str, str, str, str]] = [
    ("n", "length_stats", "n", "{:.0f}"),
    ("mean", "length_stats", "mean", "{:.1f}"),
    ("median", "length_stats", "median", "{:.1f}"),
    ("min", "length_stats", "min", "{:.0f}"),
    ("max", "length_stats", "max", "{:.0f}"),
    ("stdev", "length_stats", "stdev", "{:.1f}"),
    ("variance", "length_stats", "variance", "{:.1f}"),
    ("mean |deviation| from target", "length_stats", "mean_abs_deviation", "{:.1f}"),
    ("within bounds", "length_stats", "within_bounds", "{:.1%}"),
    ("pass rate (all constraints)", "pass_rate", "rate", "{:.1%}"),
    ("ROUGE-L F1", "rouge", "f1", "{:.3f}"),
    ("judge score (1–5)", "judge", "score", "{:.2f}"),
    ("latency mean (s)", "latency", "mean", "{:.2f}"),
    ("latency p50 (s)", "latency", "p50", "{:.2f}"),
    ("latency p95 (s)", "latency", "p95", "{:.2f}"),
    ("prompt tokens, mean", "tokens", "prompt_mean", "{:.1f}"),
    ("completion tokens, mean", "tokens", "completion_mean", "{:.1f}"),
    ("cost per sample (USD)", "cost", "per_sample", "money"),
    ("cost total (USD)", "cost", "total", "money"),
]

CI_NOTE = ("Intervals are 95%: Wilson for rates and shares, percentile bootstrap (2,000 "
           "resamples, fixed seed) for means.")


@dataclass(frozen=True)
class Cell:
    text: str
    ci: str | None = None


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell]


def _rows_spec(models: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = list(ROWS)
    judge_at = next(i for i, r in enumerate(rows) if r[1] == "judge") + 1
    criteria: list[str] = []
    for entry in models.values():
        for c in entry.get("metrics", {}).get("judge", {}).get("criteria", []) or []:
            if c not in criteria:
                criteria.append(c)
    rows[judge_at:judge_at] = [(f"judge: {c}", "judge", c, "{:.2f}") for c in criteria]
    latency_at = next(i for i, r in enumerate(rows) if r[1] == "latency")
    rows[latency_at:latency_at] = _other_metric_rows(models, {r[1] for r in ROWS})
    return rows


def _other_metric_rows(models: Mapping[str, Any], known: set[str]) -> list[tuple[str, str, str, str]]:
    """Rows for metrics this table has no fixed rows for (plugins' own, such as
    `ifeval/accuracy`): each top-level number they report, in their order."""
    rows: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for entry in models.values():
        for metric, figures in entry.get("metrics", {}).items():
            if metric in known or not isinstance(figures, Mapping):
                continue
            for key, value in figures.items():
                number = isinstance(value, (int, float)) and not isinstance(value, bool)
                if not number or (metric, key) in seen:
                    continue
                seen.add((metric, key))
                spec = "{:.0f}" if isinstance(value, int) else "{:.2f}"
                rows.append((f"{metric}: {key.replace('_', ' ')}", metric, key, spec))
    return rows


def comparison_rows(models: Mapping[str, Any]) -> list[Row]:
    out: list[Row] = []
    for label, metric, key, spec in _rows_spec(models):
        figures = [(entry.get("metrics", {}).get(metric) or {}) for entry in models.values()]
        if all(f.get(key) is None for f in figures):
            continue
        cells = []
        for f in figures:
            ci = interval_of(f, key) if f.get(key) is not None else None
            if ci is not None and ci[0] == ci[1]:  # no spread at all: nothing to show
                ci = None
            interval = f"[{format_figure(ci[0], spec)}, {format_figure(ci[1], spec)}]" if ci else None
            cells.append(Cell(format_figure(f.get(key), spec), interval))
        out.append(Row(label, cells))
    return out


def table_title(models: Mapping[str, Any]) -> str:
    """'Evaluation (single-shot, 24 documents per model, length in chars, target 100)'."""
    metrics = next(iter(models.values())).get("metrics", {}) if models else {}
    length = metrics.get("length_stats", {})
    n = metrics.get("pass_rate", {}).get("n", length.get("n"))
    if n is None:
        n = next((f["n"] for f in metrics.values() if isinstance(f, Mapping) and "n" in f), "?")
    title = f"Evaluation (single-shot, {plural(n, 'document')} per model"
    if length.get("unit"):
        title += f", length in {length['unit']}"
    if length.get("target") is not None:
        title += f", target {length['target']}"
    return title + ")"


def per_constraint(models: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(model label, constraint, figures) for every constraint's own pass rate."""
    return [(m, k, v) for m, entry in models.items()
            for k, v in entry.get("metrics", {}).get("pass_rate", {})
            .get("per_constraint", {}).items()]


GENERATION_LABELS = {
    "documents": "documents", "accepted": "accepted (passed)",
    "kept_closest": "kept closest (none passed)", "rejected": "rejected",
    "failed": "failed (request errors)", "attempts": "requests",
    "first_shot_pass_rate": "first-shot pass rate",
    "pass_rate": "pass rate after refine",
    "mean_attempts_per_document": "mean requests per document", "cost": "cost of generation",
}

TOTAL_LABELS = {
    "requests": "requests", "prompt_tokens": "prompt tokens",
    "completion_tokens": "completion tokens", "request_errors": "failed requests",
    "cost": "total cost",
}


def generation_items(gen: Mapping[str, Any]) -> list[tuple[str, str]]:
    """How teacher generation went, as (label, text) pairs."""
    return labelled_items(gen, GENERATION_LABELS)


def notice_items(results: Mapping[str, Any]) -> list[str]:
    """What a reader of the figures must know about how they were made, one sentence each:
    requests that failed for good (grouped by reason), answers cut off by the token limit,
    answers replayed from the cache (kept out of latency) and model load times (kept out of
    latency too)."""
    out = []
    for stage, reasons in (results.get("failures") or {}).items():
        for reason, count in reasons.items():
            out.append(f"{stage}: {plural(count, 'request')} failed: {reason}")
    gen = results.get("generate") or {}
    if gen.get("truncated"):
        out.append(f"generate: {plural(gen['truncated'], 'answer')} cut off by the token limit")
    for label, entry in (results.get("models") or {}).items():
        if entry.get("truncated"):
            out.append(f"{label}: {plural(entry['truncated'], 'answer')} cut off by the token "
                       f"limit")
        if entry.get("cached"):
            out.append(f"{label}: {plural(entry['cached'], 'answer')} replayed from the "
                       f"response cache, left out of latency")
    for label, seconds in (results.get("load_seconds") or {}).items():
        out.append(f"{label}: model loaded in {seconds:.2f} s, left out of latency")
    return out


def total_items(totals: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The run's (or bench's) totals over every stage, as (label, text) pairs."""
    return labelled_items(totals, TOTAL_LABELS)


def dataset_items(counts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Examples exported per split: ("train examples", "14")."""
    return labelled_items(counts, {split: f"{split} examples" for split in counts})  # not a count


def labelled_items(values: Mapping[str, Any], labels: Mapping[str, str]
                   ) -> list[tuple[str, str]]:
    """Figures for people: known keys under their label, in the label table's order, then any
    other number under its key written as words (never a raw `snake_case` key). Rates are
    percentages, costs dollars (`distil.wording.money`), counts get thousands separators."""
    keys = [k for k in labels if k in values] + [k for k in values if k not in labels]
    out = []
    for key in keys:
        value = values[key]
        if value is None or isinstance(value, (Mapping, list, tuple)):
            continue
        out.append((labels.get(key) or key.replace("_", " "), _figure_text(key, value)))
    return out


def _figure_text(key: str, value: Any) -> str:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number:
        return str(value)
    if key.endswith("rate"):
        return format_figure(value, "{:.1%}")
    if key == "cost" or key.endswith("_cost"):
        return format_figure(value, "money")
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"
