"""report.html: one self-contained page — the comparison table and its plots.

Everything is in the one file: the styles inline, the charts inline SVG (see `svg.py`), the
documents section's data and its small viewer script inline (`documents_view.py`), no font,
image, script or stylesheet fetched from anywhere, so the page can be mailed, attached to an
issue or opened offline years later and look the same. For a bench it shows the matrix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from pydantic import Field

from distil.kinds import Reporter
from distil.results.figures import format_figure, interval_of
from distil.results.matrix import MATRIX, cell_figure, format_cell, is_bench
from distil.wording import plural
from distil_builtin.reporters import documents_view, svg
from distil_builtin.reporters.table import (
    CI_NOTE,
    comparison_rows,
    dataset_items,
    generation_items,
    per_constraint,
    table_title,
    total_items,
)

STYLE = """
:root { --ink: #1f2933; --muted: #6b7785; --line: #e3e7ec; --soft: #f5f7f9; --accent: #3b6ea8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Noto Sans", "Noto Sans CJK JP", "Hiragino Sans", sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 40px 28px 64px; }
header { border-bottom: 1px solid var(--line); padding-bottom: 18px; margin-bottom: 28px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 40px 0 12px; }
h3 { font-size: 16px; margin: 24px 0 8px; }
.lede { color: var(--muted); font-size: 16px; margin: 4px 0 14px; white-space: pre-line; }
.identity { display: flex; flex-wrap: wrap; gap: 6px 18px; color: var(--muted); font-size: 13px;
  margin: 0; padding: 0; list-style: none; }
.identity b { color: var(--ink); font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px;
  border-top: 4px solid var(--c, var(--accent)); }
.card .name { font-weight: 600; overflow-wrap: anywhere; }
.card .model { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.card .big { font-size: 28px; font-weight: 650; margin-top: 6px; font-variant-numeric: tabular-nums; }
.card .small { color: var(--muted); font-size: 12px; }
.card dl { display: grid; grid-template-columns: auto auto; gap: 2px 10px; margin: 8px 0 0;
  font-size: 13px; }
.card dt { color: var(--muted); } .card dd { margin: 0; text-align: right;
  font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 6px 0 8px; }
th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { text-align: right; border-bottom: 2px solid var(--ink); font-weight: 600;
  overflow-wrap: anywhere; }
thead th:first-child, tbody th { text-align: left; font-weight: 500; }
tbody tr:nth-child(even) { background: var(--soft); }
td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .ci { display: block; color: var(--muted); font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 6px; vertical-align: baseline; }
.note { color: var(--muted); font-size: 13px; }
figure { margin: 10px 0 22px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 2px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 8px 24px; }
.chart { display: block; max-width: 100%; height: auto; }
.kv { display: grid; grid-template-columns: max-content auto; gap: 4px 18px; font-size: 14px; }
.kv dt { color: var(--muted); } .kv dd { margin: 0; font-variant-numeric: tabular-nums; }
footer { margin-top: 48px; padding-top: 14px; border-top: 1px solid var(--line);
  color: var(--muted); font-size: 12px; }
.missing { color: var(--muted); }
@media print { main { padding: 0; } h2 { break-after: avoid; } figure { break-inside: avoid; } }
"""


def _e(value: Any) -> str:
    return escape(str(value))


def _page(title: str, body: Sequence[str]) -> str:
    return "\n".join([
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body><main>",
        *body,
        "</main></body>",
        "</html>",
        "",
    ])


def _identity(items: Sequence[tuple[str, Any]]) -> str:
    lis = [f"<li>{_e(k)} <b>{_e(v)}</b></li>" for k, v in items if v not in (None, "")]
    return f'<ul class="identity">{"".join(lis)}</ul>'


def _kv(items: Sequence[tuple[str, Any]]) -> str:
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return f'<dl class="kv">{rows}</dl>'


def _when(stamp: Any) -> str | None:
    return str(stamp).replace("T", " ").replace("+00:00", " UTC") if stamp else None


# -- a run -------------------------------------------------------------------------------------
def _cards(models: Mapping[str, Any]) -> str:
    out = ['<div class="cards">']
    for i, (label, entry) in enumerate(models.items()):
        m = entry.get("metrics", {})
        rate = m.get("pass_rate", {})
        big = format_figure(rate.get("rate"), "{:.1%}")
        ci = interval_of(rate, "rate") if rate.get("rate") is not None else None
        small = (f"pass rate · 95% CI {ci[0]:.1%}–{ci[1]:.1%}" if ci else "pass rate")
        details: list[tuple[str, str]] = []
        length = m.get("length_stats", {})
        if length.get("mean") is not None:
            details.append(("mean length", f"{length['mean']:.1f} {length.get('unit') or ''}"))
        if length.get("mean_abs_deviation") is not None:
            details.append(("mean |deviation|", f"{length['mean_abs_deviation']:.1f}"))
        if m.get("latency", {}).get("mean") is not None:
            details.append(("latency, mean", f"{m['latency']['mean']:.2f} s"))
        if m.get("cost", {}).get("total") is not None:
            details.append(("cost", format_figure(m["cost"]["total"], "money")))
        dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in details)
        model = entry.get("model")
        out.append(
            f'<div class="card" style="--c:{svg.colour(i)}">'
            f'<div class="name">{_e(label)}</div>'
            + (f'<div class="model">{_e(model)}</div>' if model and model != label else "")
            + f'<div class="big">{_e(big)}</div><div class="small">{_e(small)}</div>'
            f"<dl>{dl}</dl></div>")
    out.append("</div>")
    return "\n".join(out)


def _comparison(models: Mapping[str, Any]) -> str:
    head = "".join(f'<th scope="col"><span class="swatch" style="background:{svg.colour(i)}">'
                   f"</span>{_e(label)}</th>" for i, label in enumerate(models))
    body = []
    for row in comparison_rows(models):
        cells = "".join(f"<td>{_e(c.text)}" + (f'<span class="ci">{_e(c.ci)}</span>' if c.ci
                                                else "") + "</td>" for c in row.cells)
        body.append(f'<tr><th scope="row">{_e(row.label)}</th>{cells}</tr>')
    return (f'<table class="comparison"><thead><tr><th></th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table><p class="note">{_e(CI_NOTE)}</p>')


def _histograms(models: Mapping[str, Any]) -> str:
    stats = {label: entry.get("metrics", {}).get("length_stats") or {}
             for label, entry in models.items()}
    with_values = {k: v for k, v in stats.items() if v.get("values")}
    if not with_values:
        return ""
    first = next(iter(with_values.values()))
    band = (first.get("min_bound"), first.get("max_bound"))
    target = first.get("target")
    unit = first.get("unit") or ""
    all_values = [x for v in with_values.values() for x in v["values"]]
    domain = svg.histogram_domain(all_values, band, target)
    parts = []
    for i, label in enumerate(models):
        s = stats[label]
        if not s.get("values"):
            continue
        chart = svg.histogram(s["values"], domain=domain, band=band, target=target, unit=unit,
                              title=f"{label}: lengths of {plural(s['n'], 'answer')}",
                              fill=svg.colour(i))
        caption = (f"{_e(label)} — n {s['n']}, mean {format_figure(s.get('mean'), '{:.1f}')}, "
                   f"median {format_figure(s.get('median'), '{:.1f}')}, within bounds "
                   f"{format_figure(s.get('within_bounds'), '{:.0%}')}")
        parts.append(f"<figure>{chart}<figcaption>{caption}</figcaption></figure>")
    band_text = ""
    if band != (None, None):
        lo = band[0] if band[0] is not None else "…"
        hi = band[1] if band[1] is not None else "…"
        band_text = f" The shaded band is the allowed range, {lo}–{hi} {unit}."
    constraint = first.get("constraint")
    return ("".join(parts) + f'<p class="note">Measured length of each answer'
            f"{' (' + _e(constraint) + ')' if constraint else ''}, in {_e(unit or 'the unit')}."
            f"{_e(band_text)}{' The dashed line is the target.' if target is not None else ''}"
            f"</p>")


def _pass_rate_chart(models: Mapping[str, Any]) -> str:
    rows: list[svg.IntervalRow] = []
    constraints: list[str] = []
    for entry in models.values():
        for k in entry.get("metrics", {}).get("pass_rate", {}).get("per_constraint", {}):
            if k not in constraints:
                constraints.append(k)
    groups: list[tuple[str, str | None]] = [("all constraints", None)]
    if len(constraints) > 1:  # with one constraint its own rate is the overall one
        groups += [(c, c) for c in constraints]
    for group, key in groups:
        for i, (label, entry) in enumerate(models.items()):
            figures = entry.get("metrics", {}).get("pass_rate") or {}
            if key is not None:
                figures = figures.get("per_constraint", {}).get(key) or {}
            if figures.get("rate") is None:
                continue
            rows.append(svg.IntervalRow(label, figures["rate"], interval_of(figures, "rate"),
                                        svg.colour(i), group))
    if not rows:
        return ""
    return (f"<figure>{svg.interval_chart(rows, domain=(0.0, 1.0), percent=True, title='pass rates with 95% Wilson intervals', axis_label='pass rate')}"
            '<figcaption>Dot: share of answers that passed; bar: its 95% Wilson interval. '
            "The first group counts an answer only when it met every constraint."
            "</figcaption></figure>")


def _latency_chart(models: Mapping[str, Any]) -> str:
    found = {label: entry.get("metrics", {}).get("latency") or {}
             for label, entry in models.items()}
    peak = max((lat.get("p95") or lat.get("mean") or 0 for lat in found.values()), default=0)
    scale, unit = (1000.0, "milliseconds") if peak < 1 else (1.0, "seconds")
    rows = []
    for i, (label, lat) in enumerate(found.items()):
        if lat.get("mean") is None:
            continue
        ci = interval_of(lat, "mean")
        marks = tuple((name, lat[name] * scale) for name in ("p50", "p95")
                      if lat.get(name) is not None)
        rows.append(svg.IntervalRow(label, lat["mean"] * scale,
                                    (ci[0] * scale, ci[1] * scale) if ci else None,
                                    svg.colour(i), None, marks))
    if not rows:
        return ""
    return (f"<figure>{svg.interval_chart(rows, title='latency per answer', axis_label=unit + ' per answer')}"
            "<figcaption>Dot: mean time per answer, with its 95% bootstrap interval; "
            "tick: median (p50); diamond: p95.</figcaption></figure>")


def _per_constraint_table(models: Mapping[str, Any]) -> str:
    rows = per_constraint(models)
    if not rows:
        return ""
    body = []
    for m, k, v in rows:
        ci = interval_of(v, "rate") if v.get("rate") is not None else None
        ci_text = f'<span class="ci">[{ci[0]:.1%}, {ci[1]:.1%}]</span>' if ci else ""
        body.append(f'<tr><th scope="row">{_e(m)}</th><td style="text-align:left">{_e(k)}</td>'
                    f"<td>{_e(v.get('n', '–'))}</td><td>{_e(v.get('passed', '–'))}</td>"
                    f"<td>{_e(format_figure(v.get('rate'), '{:.1%}'))}{ci_text}</td></tr>")
    return ('<table><thead><tr><th>model</th><th style="text-align:left">constraint</th>'
            "<th>n</th><th>passed</th><th>rate</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _training_charts(training: Mapping[str, Any] | None) -> str:
    """A GRPO student's mean reward and pass rate within the groups, step by step."""
    steps = (training or {}).get("steps") or []
    if not steps:
        return ""
    method = training.get("method") or "grpo"
    reward = [(s["step"], s.get("reward")) for s in steps]
    passed = [(s["step"], s.get("pass_rate")) for s in steps]
    return (f'<p>The student\'s GRPO steps ({_e(method)}): the mean reward of the completions '
            "sampled in each step, and how many of them passed every constraint.</p>"
            f"<figure>{svg.line_chart(reward, title='mean reward per GRPO step', y_label='reward')}"
            "<figcaption>mean reward per step</figcaption></figure>"
            f"<figure>{svg.line_chart(passed, title='pass rate per GRPO step', percent=True, domain=(0.0, 1.0), y_label='pass rate', colour=svg.colour(2))}"
            "<figcaption>pass rate within the step's groups</figcaption></figure>")


def run_page(results: Mapping[str, Any], documents: str = "") -> str:
    """The run's page; `documents` is the documents section (`documents_view.section`)."""
    run = results.get("run", {})
    title = run.get("recipe") or "distil run"
    models = results.get("models", {})
    body = ["<header>", f"<h1>{_e(title)}</h1>"]
    if run.get("description"):
        body.append(f'<p class="lede">{_e(run["description"].strip())}</p>')
    body.append(_identity([
        ("models", ", ".join(models) or None), ("seed", run.get("seed")),
        ("started", _when(run.get("started"))), ("finished", _when(run.get("finished"))),
        ("distil", run.get("distil_version")), ("run", run.get("run_dir")),
    ]))
    body.append("</header>")
    if models:
        body += [_cards(models), f"<h2>{_e(table_title(models))}</h2>", _comparison(models)]
        hist = _histograms(models)
        if hist:
            body += ["<h2>Lengths</h2>", hist]
        chart = _pass_rate_chart(models)
        if chart:
            body += ["<h2>Pass rates</h2>", chart]
        table = _per_constraint_table(models)
        if table:
            body += ["<h3>Pass rate per constraint</h3>", table]
        chart = _latency_chart(models)
        if chart:
            body += ["<h2>Latency</h2>", chart]
    else:
        body.append('<p class="missing">No model was evaluated in this run.</p>')
    gen = results.get("generate")
    if gen:
        body += ["<h2>Teacher generation</h2>", _kv(generation_items(gen))]
    ds = results.get("dataset")
    if ds:
        body += ["<h2>Dataset</h2>", _kv(dataset_items(ds))]
    charts = _training_charts(results.get("training"))
    if charts:
        body += ["<h2>Student training</h2>", charts]
    totals = results.get("totals")
    if totals:
        body += ["<h2>Totals</h2>", _kv(total_items(totals))]
    if documents:
        body.append(documents)
    body.append(f"<footer>Written by distil {_e(run.get('distil_version', ''))} from "
                f"results.json. {_e(CI_NOTE)}</footer>")
    return _page(title, body)


# -- a bench -----------------------------------------------------------------------------------
def _matrix_table(results: Mapping[str, Any], title: str, metric: str, key: str,
                  spec: str) -> str:
    models = [m["label"] for m in results.get("models", [])]
    head = "".join(f"<th>{_e(m)}</th>" for m in models)
    body = []
    for task in results.get("tasks", []):
        cells = []
        for m in models:
            value, ci = cell_figure(results.get("cells", {}).get(task["name"], {}).get(m),
                                    metric, key)
            style = ""
            if metric == "pass_rate" and isinstance(value, (int, float)):
                style = f' style="background:hsl({int(120 * value)}, 55%, 92%)"'
            main = format_cell(value, None, spec)
            ci_text = (f'<span class="ci">[{format_figure(ci[0], spec)}, '
                       f'{format_figure(ci[1], spec)}]</span>' if ci and value is not None else "")
            cells.append(f"<td{style}>{_e(main)}{ci_text}</td>")
        body.append(f'<tr><th scope="row">{_e(task["name"])}</th>{"".join(cells)}</tr>')
    return (f"<h3>{_e(title)}</h3><table><thead><tr><th>task</th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _bench_chart(results: Mapping[str, Any]) -> str:
    labels = [m["label"] for m in results.get("models", [])]
    rows = []
    for task in results.get("tasks", []):
        for i, m in enumerate(labels):
            value, ci = cell_figure(results.get("cells", {}).get(task["name"], {}).get(m),
                                    "pass_rate", "rate")
            if value is not None:
                rows.append(svg.IntervalRow(m, value, ci, svg.colour(i), task["name"]))
    if not rows:
        return ""
    return (f"<figure>{svg.interval_chart(rows, domain=(0.0, 1.0), percent=True, title='pass rate per task and model', axis_label='pass rate')}"
            "<figcaption>Pass rate of each model on each task, with 95% Wilson intervals."
            "</figcaption></figure>")


def bench_page(results: Mapping[str, Any]) -> str:
    suite = results.get("suite", {})
    title = suite.get("name") or "distil bench"
    body = ["<header>", f"<h1>{_e(title)}</h1>"]
    if suite.get("description"):
        body.append(f'<p class="lede">{_e(suite["description"].strip())}</p>')
    body.append(_identity([
        ("tasks", len(results.get("tasks", []))), ("models", len(results.get("models", []))),
        ("started", _when(suite.get("started"))), ("finished", _when(suite.get("finished"))),
        ("distil", suite.get("distil_version")), ("bench", suite.get("bench_dir")),
    ]))
    body.append("</header><h2>Matrix</h2>")
    for title_, metric, key, spec, note in MATRIX:
        body.append(_matrix_table(results, title_, metric, key, spec))
        body.append(f'<p class="note">{_e(note)}</p>')
    chart = _bench_chart(results)
    if chart:
        body += ["<h2>Pass rates</h2>", chart]
    body += ["<h2>Tasks</h2>", _kv([(t["name"], t.get("description") or t.get("recipe"))
                                    for t in results.get("tasks", [])])]
    body += ["<h2>Models</h2>", _kv([(m["label"], m["model"])
                                     for m in results.get("models", [])])]
    if results.get("totals"):
        body += ["<h2>Totals</h2>", _kv(total_items(results["totals"]))]
    body.append(f"<footer>Written by distil {_e(suite.get('distil_version', ''))} "
                f"(distil bench). {_e(CI_NOTE)}</footer>")
    return _page(title, body)


class HtmlReport(Reporter):
    """One self-contained HTML page with plots: lengths, pass rates with intervals, latency."""

    filename: str = Field(default="report.html", description="File name in the run directory.")

    def render(self, results: dict[str, Any], run_dir: Path) -> Path:
        if is_bench(results):
            page = bench_page(results)
        else:
            page = run_page(results, documents_view.section(documents_view.run_documents(run_dir)))
        path = run_dir / self.filename
        path.write_text(page, encoding="utf-8")
        return path
