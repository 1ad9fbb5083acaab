"""The figures of `distil corpus stats`: documents per split and category, and their lengths.

Lengths are Unicode code points after NFC normalisation, the default unit of the character
constraints, so a corpus's figures and a constraint's target are in the same unit.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Sequence
from typing import Any

from distil.types import Document
from distil.wording import plural

NO_CATEGORY = "(none)"


def length_stats(docs: Sequence[Document]) -> dict[str, float | int | None]:
    lengths = [len(unicodedata.normalize("NFC", d.text)) for d in docs]
    if not lengths:
        return {"mean": None, "median": None, "min": None, "max": None}
    return {
        "mean": round(statistics.fmean(lengths), 1),
        "median": round(float(statistics.median(lengths)), 1),
        "min": min(lengths),
        "max": max(lengths),
    }


def corpus_stats(splits: dict[str, list[Document]], *, split_given: bool,
                 corpus_documents: int) -> dict[str, Any]:
    """Counts and lengths for the documents a run would use.

    Without a `split` every stage sees every sampled document, so they are reported once, as
    the split `all`, rather than three times. Categories are reported when any document has a
    `category` field; documents without one are counted under "(none)".
    """
    shown = splits if split_given else {"all": splits["train"]}
    used = [d for docs in shown.values() for d in docs]
    out: dict[str, Any] = {
        "corpus_documents": corpus_documents,
        "documents": len(used),
        "splits": {name: {"documents": len(docs), "length": length_stats(docs)}
                   for name, docs in shown.items()},
        "length": length_stats(used),
        "length_unit": "code points (NFC)",
    }
    if any("category" in d.fields for d in used):
        table: dict[str, dict[str, int]] = {}
        for name, docs in shown.items():
            for d in docs:
                row = table.setdefault(str(d.fields.get("category", NO_CATEGORY)),
                                       {n: 0 for n in shown} | {"total": 0})
                row[name] += 1
                row["total"] += 1
        out["categories"] = dict(sorted(table.items()))
    return out


def render_text(stats: dict[str, Any]) -> list[str]:
    """Plain aligned tables, one line per split and per category."""
    lines = [f"recipe: {stats['recipe']}",
             f"corpus: {stats['corpus']}, {plural(stats['corpus_documents'], 'document')}; "
             f"{stats['documents']} used (sample: {stats['sample'] or 'all'}, "
             f"seed: {stats['seed']})", ""]
    header = ["split", "docs", "mean", "median", "min", "max"]
    rows = [[name, s["documents"], *_figures(s["length"])] for name, s in stats["splits"].items()]
    if len(rows) > 1:
        rows.append(["total", stats["documents"], *_figures(stats["length"])])
    lines += _table(header, rows)
    lines.append(f"lengths in {stats['length_unit']}")
    if "categories" in stats:
        names = list(stats["splits"])
        cols = [*names, "total"] if len(names) > 1 else ["total"]
        lines.append("")
        rows = [[cat, *(row[c] for c in cols)] for cat, row in stats["categories"].items()]
        lines += _table(["category", *cols], rows)
    return lines


def _figures(length: dict[str, Any]) -> list[Any]:
    return ["-" if length[k] is None else length[k] for k in ("mean", "median", "min", "max")]


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [header, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                      enumerate(zip(r, widths))).rstrip() for r in cells]
