"""`distil compare`: two runs' figures side by side, with differences and interval separation.

Two intervals "separate" when they do not overlap. That is a conservative reading: separated
95% intervals mean the difference is significant at well under the 5% level, while overlapping
intervals do not prove the runs are alike. Figures without an interval get no verdict, and
neither does any figure of a model that answered fewer than MIN_N documents in either run: a
bootstrap interval of a handful of values is too narrow to trust, so the row says the sample
is too small instead.

The two runs should measure the same thing. `compare` warns when they come from different
recipes, drew their documents with different seeds, or evaluated different numbers of
documents (or, where results.json records them, different documents).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from distil.errors import UsageError
from distil.results.figures import Figure, figures
from distil.wording import plural

RESULTS = "results.json"
MIN_N = 10  # documents per side below which no difference is called real


def load_results(path: str | Path) -> dict[str, Any]:
    """results.json from a run directory (or the file itself)."""
    p = Path(path)
    file = p / RESULTS if p.is_dir() else p
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no {RESULTS} (run `distil report {path}` to write it)"
                         ) from None
    except ValueError as exc:
        raise UsageError(f"{file}: not valid JSON ({exc})") from None
    if isinstance(data, dict) and "suite" in data:
        raise UsageError(f"{file}: a bench's results; compare two of its cells' run "
                         f"directories instead (bench.json lists them)")
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise UsageError(f"{file}: not a distil results file (no `models`)")
    return data


def separate(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool | None:
    if a is None or b is None:
        return None
    return a[1] < b[0] or b[1] < a[0]


def pair_models(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Labels to compare: those in both runs; else, if each run has one model, that pair."""
    common = [label for label in a if label in b]
    if common:
        return [(label, label) for label in common]
    if len(a) == 1 and len(b) == 1:
        return [(next(iter(a)), next(iter(b)))]
    raise UsageError(f"the runs share no model label (first: {', '.join(a) or 'none'}; "
                     f"second: {', '.join(b) or 'none'})")


def _row(name: str, fa: Figure | None, fb: Figure | None,
         too_small: bool = False) -> dict[str, Any]:
    va = fa.value if fa else None
    vb = fb.value if fb else None
    ca = fa.ci95 if fa else None
    cb = fb.ci95 if fb else None
    verdict = separate(ca, cb)
    return {
        "figure": name, "a": va, "b": vb,
        "difference": vb - va if va is not None and vb is not None else None,
        "a_ci95": list(ca) if ca else None, "b_ci95": list(cb) if cb else None,
        "separate": None if too_small else verdict,
        "too_small": too_small and verdict is not None,
    }


def sample_size(entry: Mapping[str, Any]) -> int | None:
    """How many documents a model's figures rest on: its pass rate's n, else the first `n`
    any of its metrics reports."""
    metrics = entry.get("metrics") or {}
    for values in [metrics.get("pass_rate"), *metrics.values()]:
        if isinstance(values, Mapping) and isinstance(values.get("n"), int):
            return values["n"]
    return None


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Every figure of every paired model, and the run totals, as rows (difference = b - a)."""
    out: dict[str, Any] = {
        "a": {"run_dir": a.get("run", {}).get("run_dir"), "recipe": a.get("run", {}).get("recipe")},
        "b": {"run_dir": b.get("run", {}).get("run_dir"), "recipe": b.get("run", {}).get("recipe")},
        "min_n": MIN_N,
        "warnings": run_warnings(a, b),
        "models": [],
    }
    for la, lb in pair_models(a["models"], b["models"]):
        fa = {f.name: f for f in figures(a["models"][la].get("metrics", {}))}
        fb = {f.name: f for f in figures(b["models"][lb].get("metrics", {}))}
        na, nb = sample_size(a["models"][la]), sample_size(b["models"][lb])
        small = na is None or nb is None or min(na, nb) < MIN_N
        names = list(fa) + [n for n in fb if n not in fa]
        out["models"].append({
            "a": la, "b": lb, "a_n": na, "b_n": nb, "too_small": small,
            "rows": [_row(n, fa.get(n), fb.get(n), small) for n in names],
        })
    ta, tb = a.get("totals") or {}, b.get("totals") or {}
    out["totals"] = [_row(k, Figure(k, _num(ta.get(k))), Figure(k, _num(tb.get(k))))
                     for k in list(ta) + [k for k in tb if k not in ta]]
    return out


def run_warnings(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Why the two runs may not measure the same thing, one sentence each."""
    ra, rb = a.get("run") or {}, b.get("run") or {}
    out = []
    if ra.get("recipe") != rb.get("recipe"):
        out.append(f"the runs are of different recipes (A: {ra.get('recipe')!r}, "
                   f"B: {rb.get('recipe')!r}); their figures may not measure the same task")
    da, db = ra.get("documents"), rb.get("documents")
    if isinstance(da, Mapping) and isinstance(db, Mapping) and da.get("sha256") \
            and db.get("sha256"):
        if da["sha256"] != db["sha256"]:
            counts = (f" (A: {da['n']}; B: {db['n']})" if da.get("n") != db.get("n")
                      and da.get("n") is not None and db.get("n") is not None else "")
            out.append(f"the runs evaluated different documents{counts}")
        return out
    if ra.get("seed") != rb.get("seed"):
        out.append(f"the runs drew their documents with different seeds (A: {ra.get('seed')}, "
                   f"B: {rb.get('seed')}), so they may have evaluated different documents")
    na = {sample_size(e) for e in a.get("models", {}).values()} - {None}
    nb = {sample_size(e) for e in b.get("models", {}).values()} - {None}
    if na and nb and na != nb:
        out.append(f"the runs evaluated different numbers of documents (A: "
                   f"{', '.join(map(str, sorted(na)))}; B: {', '.join(map(str, sorted(nb)))})")
    return out


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def _fmt_ci(ci: list[float] | None) -> str:
    return f" [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else ""


def render_text(result: Mapping[str, Any]) -> list[str]:
    """Aligned plain-text tables, one per model pair, then the totals."""
    lines = [f"A: {result['a']['run_dir']}", f"B: {result['b']['run_dir']}"]
    lines += [f"warning: {w}" for w in result.get("warnings", [])]
    lines.append("")
    min_n = result.get("min_n", MIN_N)
    for pair in result["models"]:
        title = pair["a"] if pair["a"] == pair["b"] else f"{pair['a']} (A) vs {pair['b']} (B)"
        lines.append(f"model: {title}")
        if pair.get("too_small"):
            lines.append(f"sample too small: {_n(pair.get('a_n'))} in A and "
                         f"{_n(pair.get('b_n'))} in B; below {min_n} per side no difference "
                         "is called real")
        lines += _table(pair["rows"])
        lines.append("")
    lines.append("totals")
    lines += _table(result["totals"])
    lines += ["", "separate: the 95% intervals of A and B do not overlap (yes), overlap (no), "
                  f"rest on fewer than {plural(min_n, 'document')} on a side (too small), or the "
                  "figure has no interval (blank)."]
    return lines


def _n(n: int | None) -> str:
    return "an unknown number of documents" if n is None else plural(n, "document")


def _verdict(row: Mapping[str, Any]) -> str:
    if row.get("too_small"):
        return "too small"
    return {True: "yes", False: "no", None: ""}[row["separate"]]


def _table(rows: list[dict[str, Any]]) -> list[str]:
    header = ["figure", "A", "B", "B - A", "separate"]
    body = [[r["figure"], _fmt(r["a"]) + _fmt_ci(r["a_ci95"]), _fmt(r["b"]) + _fmt_ci(r["b_ci95"]),
             _fmt(r["difference"]) if r["difference"] is None or r["difference"] <= 0
             else "+" + _fmt(r["difference"]),
             _verdict(r)] for r in rows]
    cells = [header, *body]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
