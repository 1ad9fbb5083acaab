"""report.md: the write-up's comparison table, plus how generation went.

For a bench (`distil bench`) it writes the matrix instead: tasks × models, one table per
headline figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from distil.kinds import Reporter
from distil.results.figures import format_figure
from distil.results.matrix import is_bench, render_markdown
from distil_builtin.reporters.table import (
    CI_NOTE,
    comparison_rows,
    dataset_items,
    generation_items,
    notice_items,
    per_constraint,
    table_title,
    total_items,
)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell (a `|` would end the cell)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


class MarkdownReport(Reporter):
    """A Markdown page: the comparison table of every evaluated model, then generation figures."""

    filename: str = Field(default="report.md", description="File name in the run directory.")

    def render(self, results: dict[str, Any], run_dir: Path) -> Path:
        lines = self._bench(results) if is_bench(results) else self._run(results)
        path = run_dir / self.filename
        path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
        return path

    def _run(self, results: dict[str, Any]) -> list[str]:
        run = results.get("run", {})
        lines = [f"# {run.get('recipe', 'distil run')}", ""]
        if run.get("description"):
            lines += [run["description"].strip(), ""]
        models = results.get("models", {})
        if models:
            lines += self._comparison(models)
        notices = notice_items(results)
        if notices:
            lines += ["## How these figures were made", ""]
            lines += [f"- {cell(text)}" for text in notices]
            lines.append("")
        gen = results.get("generate")
        if gen:
            lines += ["## Teacher generation", ""]
            lines += [f"- {label}: {text}" for label, text in generation_items(gen)]
            lines.append("")
        ds = results.get("dataset")
        if ds:
            lines += ["## Dataset", ""]
            lines += [f"- {label}: {text}" for label, text in dataset_items(ds)]
            lines.append("")
        totals = results.get("totals")
        if totals:
            lines += ["## Totals", ""]
            lines += [f"- {label}: {text}" for label, text in total_items(totals)]
            lines.append("")
        return lines

    def _comparison(self, models: dict[str, Any]) -> list[str]:
        names = [cell(n) for n in models]
        out = [f"## {table_title(models)}", "",
               "| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        for row in comparison_rows(models):
            cells = [cell(c.text + (f" {c.ci}" if c.ci else "")) for c in row.cells]
            out.append(f"| {cell(row.label)} | " + " | ".join(cells) + " |")
        out += ["", CI_NOTE, ""]
        shown = [f"- {label}: {entry['model']}" for label, entry in models.items()
                 if entry.get("model") and entry["model"] != label]
        if shown:
            out += ["Models:", "", *shown, ""]
        extra = per_constraint(models)
        if extra:
            out += ["### Pass rate per constraint", "", "| model | constraint | n | rate |",
                    "|---|---|---:|---:|"]
            for m, k, v in extra:
                ci = v.get("ci95")
                text = format_figure(v.get("rate"), "{:.1%}")
                if ci and v.get("rate") is not None:
                    text += f" [{format_figure(ci[0], '{:.1%}')}, {format_figure(ci[1], '{:.1%}')}]"
                out.append(f"| {cell(m)} | {cell(k)} | {v.get('n', '–')} | {text} |")
            out.append("")
        return out

    def _bench(self, results: dict[str, Any]) -> list[str]:
        suite = results.get("suite", {})
        lines = [f"# {suite.get('name', 'distil bench')}", ""]
        if suite.get("description"):
            lines += [suite["description"].strip(), ""]
        lines += render_markdown(results)
        lines += ["## Tasks", ""]
        lines += [f"- {t['name']}: {t.get('recipe')}" for t in results.get("tasks", [])]
        lines += ["", "## Models", ""]
        lines += [f"- {m['label']}: {m['model']}" for m in results.get("models", [])]
        totals = results.get("totals")
        if totals:
            lines += ["", "## Totals", ""]
            lines += [f"- {label}: {text}" for label, text in total_items(totals)]
        return lines + [""]
