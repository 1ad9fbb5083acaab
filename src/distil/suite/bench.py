"""`distil bench`: run every task of a suite with every model, then write one result.

Each (task, model) cell is an ordinary run directory under the bench directory,
`<bench>/<task>/<model>/`, evaluated by the same `Runner` as `distil eval`. Re-running the bench
on the same directory resumes it: a cell's answers already in its store are not asked again, so
an interrupted or extended bench (one more model) only pays for what is new.

The bench directory holds `bench.json` (the suite, the cells and where they live), the combined
`results.json`, and the suite's reports (the Markdown matrix, the HTML page).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from distil import __version__
from distil.engine.evaluation import build_eval_models, plan_for
from distil.engine.report import render_reports
from distil.engine.rundir import STORE, now_utc, timestamped_dir, write_json_atomic
from distil.engine.runner import RunOptions, Runner
from distil.engine.store import RunStore
from distil.errors import Interrupted, UsageError
from distil.kinds import Reporter
from distil.results.matrix import bench_totals
from distil.suite.loader import LoadedSuite, SuiteTask
from distil.suite.strategies import run_strategy_cell, strategy_figures, with_strategy

BENCH_MANIFEST = "bench.json"
SUITE_COPY = "suite.yaml"


def slug(text: str) -> str:
    """A directory name for a task or model label; a short hash keeps altered names unique."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:60] or "x"
    if cleaned == text:
        return cleaned
    return f"{cleaned}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def new_bench_dir(suite: LoadedSuite, root: Path = Path("runs")) -> Path:
    return timestamped_dir(root / "bench" / suite.name)


def read_bench_manifest(bench_dir: Path) -> dict[str, Any] | None:
    path = bench_dir / BENCH_MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _write_manifest(bench_dir: Path, manifest: dict[str, Any]) -> None:
    write_json_atomic(bench_dir / BENCH_MANIFEST, manifest)


def _spent(cell_dir: Path) -> float:
    if not (cell_dir / STORE).is_file():
        return 0.0
    store = RunStore.open(cell_dir / STORE)
    try:
        return float(store.totals()["cost"])
    finally:
        store.close()


def assemble(manifest: dict[str, Any], cell_results: dict[tuple[str, str], dict[str, Any]]
             ) -> dict[str, Any]:
    """The bench's results.json from its manifest and each cell's run results."""
    cells: dict[str, dict[str, Any]] = {}
    for entry in manifest["cells"]:
        results = cell_results.get((entry["task"], entry["label"]))
        if results is None:
            continue
        model = results.get("models", {}).get(entry["label"], {})
        cell = cells.setdefault(entry["task"], {})[entry["label"]] = {
            "model": model.get("model", entry["label"]),
            "run_dir": entry["run_dir"],
            "metrics": model.get("metrics", {}),
            "totals": results.get("totals", {}),
        }
        if "strategy" in entry:
            cell["strategy"] = strategy_figures(results, entry["label"])
    return {
        "suite": {k: manifest.get(k) for k in
                  ("name", "description", "path", "bench_dir", "distil_version", "started",
                   "strategies")}
        | {"finished": now_utc()},
        "tasks": manifest["tasks"],
        "models": manifest["models"],
        "cells": cells,
        "totals": bench_totals(cells),
    }


def render(results: dict[str, Any], bench_dir: Path, reporters: list[Reporter]) -> list[Path]:
    return render_reports(results, bench_dir, reporters)


async def run_bench(suite: LoadedSuite, bench_dir: Path, *, progress: bool | None = None,
                    use_cache: bool = True, max_cost: float | None = None,
                    echo: Callable[[str], None] = lambda line: None
                    ) -> tuple[dict[str, Any], list[Path]]:
    """Run every cell (resuming what is stored), then write the bench's results and reports."""
    bench_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(suite.path, bench_dir / SUITE_COPY)
    previous = read_bench_manifest(bench_dir) or {}
    manifest: dict[str, Any] = {
        "kind": "bench",
        "name": suite.name,
        "description": suite.spec.description,
        "path": str(suite.path.resolve()),
        "bench_dir": str(bench_dir),
        "distil_version": __version__,
        "started": previous.get("started") or now_utc(),
        "tasks": [{"name": t.name, "recipe": str(t.path), "description": t.description}
                  for t in suite.tasks],
        "models": [],
        "cells": [],
    }
    if suite.strategies:
        manifest["strategies"] = [label for label, _ in suite.strategies]
    cell_results: dict[tuple[str, str], dict[str, Any]] = {}
    labels: dict[str, str] = {}
    for task in suite.tasks:
        if suite.strategies:
            await _strategy_cells(suite, task, bench_dir, manifest, cell_results, labels,
                                  RunOptions(limit=task.limit, progress=progress,
                                             use_cache=use_cache, max_cost=max_cost), echo)
            continue
        for j in range(len(suite.model_specs)):
            loaded = suite.load_task(task)
            pairs = build_eval_models(loaded, suite.model_specs, suite.models_source,
                                      suite.models_loc)
            label, model = pairs[j]
            plan = plan_for(loaded, models=[suite.model_specs[j]], split=task.split,
                            limit=task.limit, metrics=task.metrics, eval_models=[pairs[j]])
            labels.setdefault(label, model.display_name if model is not None else label)
            cell_dir = bench_dir / slug(task.name) / slug(label)
            entry = {"task": task.name, "label": label,
                     "run_dir": str(cell_dir.relative_to(bench_dir))}
            manifest["cells"].append(entry)
            manifest["models"] = [{"label": k, "model": v} for k, v in labels.items()]
            _write_manifest(bench_dir, manifest)
            budget = None
            if max_cost is not None:
                others = sum(_spent(bench_dir / c["run_dir"]) for c in manifest["cells"]
                             if c is not entry)
                budget = max(0.0, max_cost - others)
            runner = Runner(loaded, cell_dir, RunOptions(progress=progress, use_cache=use_cache,
                                                         max_cost=budget), plan=plan)
            echo(f"{task.name} × {label}: {cell_dir}")
            try:
                await runner.run(("evaluate", "report"))
            except Interrupted:
                raise Interrupted(f"Interrupted: everything finished so far is saved. Carry on "
                                  f"with: distil bench {suite.path} --run-dir {bench_dir}"
                                  ) from None
            cell_results[(task.name, label)] = runner.last_results
    manifest["finished"] = now_utc()
    _write_manifest(bench_dir, manifest)
    results = assemble(manifest, cell_results)
    return results, render(results, bench_dir, suite.reporters)


async def _strategy_cells(suite: LoadedSuite, task: SuiteTask, bench_dir: Path,
                          manifest: dict[str, Any],
                          cell_results: dict[tuple[str, str], dict[str, Any]],
                          labels: dict[str, str], options: RunOptions,
                          echo: Callable[[str], None]) -> None:
    """Every (strategy, model) cell of one task: the generate stage with that strategy."""
    for name, spec in suite.strategies:
        for model_spec in suite.model_specs:
            loaded = with_strategy(suite.load_task(task), name, spec, suite.source, model_spec)
            assert loaded.teacher_model is not None
            label = name if len(suite.model_specs) == 1 else \
                f"{name} @ {loaded.teacher_model.display_name}"
            labels.setdefault(label, loaded.teacher_model.display_name)
            cell_dir = bench_dir / slug(task.name) / slug(label)
            entry = {"task": task.name, "label": label, "strategy": name,
                     "run_dir": str(cell_dir.relative_to(bench_dir))}
            manifest["cells"].append(entry)
            manifest["models"] = [{"label": k, "model": v} for k, v in labels.items()]
            _write_manifest(bench_dir, manifest)
            echo(f"{task.name} × {label}: {cell_dir}")
            try:
                cell_results[(task.name, label)] = await run_strategy_cell(
                    loaded, cell_dir, label, task.metrics, options)
            except Interrupted:
                raise Interrupted(f"Interrupted: everything finished so far is saved. Carry on "
                                  f"with: distil bench {suite.path} --run-dir {bench_dir}"
                                  ) from None


def collect(bench_dir: Path, rerender_cell: Callable[[Path], dict[str, Any]]
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(manifest, results) of an existing bench, each cell's results from `rerender_cell`."""
    manifest = read_bench_manifest(bench_dir)
    if manifest is None:
        raise UsageError(f"{bench_dir}: not a bench directory (no {BENCH_MANIFEST})")
    cell_results = {}
    for entry in manifest["cells"]:
        cell_dir = bench_dir / entry["run_dir"]
        if (cell_dir / "manifest.json").is_file():
            cell_results[(entry["task"], entry["label"])] = rerender_cell(cell_dir)
    return manifest, assemble(manifest, cell_results)
