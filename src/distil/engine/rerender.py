"""`distil report`: recompute a run's figures from its store and render them again.

No model is called. The evaluation records are read from `store.sqlite` and every metric of
the run's stored evaluation plan is computed afresh (so a newer distil, or another `--format`,
applies to an old run); requests a metric made itself (an LLM judge) are read back from the
store. The recipe is the run's own `recipe.yaml`. A store that is missing, empty, damaged or of
another schema version is refused: nothing is rendered from it. When the recipe cannot be
built any more (its corpus was moved, a plugin uninstalled), the saved `results.json` is
rendered instead, with a warning.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from distil.engine.context import RunOptions
from distil.engine.report import RESULTS, ShrinkingRendering
from distil.engine.rundir import load_run_recipe
from distil.engine.runner import Runner
from distil.engine.store_file import StoreError
from distil.errors import DistilError, UsageError
from distil.kinds import Reporter
from distil.plugins import PluginHost, get_host
from distil.recipe.resolve import build_plugin
from distil.recipe.yaml_source import YamlSource
from distil.suite.bench import SUITE_COPY, collect, render

DEFAULT_BENCH_REPORTS: list[Any] = ["markdown", "html", "json"]


def build_reporters(host: PluginHost, specs: Sequence[Any], where: str) -> list[Reporter]:
    src = YamlSource(where, {}, {})
    return [build_plugin(host, "reporter", s, (), src) for s in specs]  # type: ignore[misc]


def recompute_run(run_dir: Path, formats: Sequence[str] | None = None,
                  plugins_dirs: tuple[str, ...] = ()) -> tuple[dict[str, Any], list[Path]]:
    """Recompute and render one run; raises DistilError when its recipe cannot be used."""
    loaded = load_run_recipe(run_dir, plugins_dirs)
    runner = Runner(loaded, run_dir, RunOptions(use_cache=False, progress=False))
    try:
        reporters = build_reporters(loaded.host, formats, "--format") if formats else None
        paths = runner.report(reporters)
        return runner.last_results, paths
    finally:
        runner.ctx.pipeline.close()


def rerender_run(run_dir: Path, formats: Sequence[str] | None = None,
                 plugins_dirs: tuple[str, ...] = ()
                 ) -> tuple[dict[str, Any], list[Path], str | None]:
    """(results, paths, warning): recomputed when possible, else the saved results.json."""
    try:
        results, paths = recompute_run(run_dir, formats, plugins_dirs)
        return results, paths, None
    except (StoreError, ShrinkingRendering):
        raise  # never render over a run whose record cannot be read, or with less
    except DistilError as exc:
        saved = run_dir / RESULTS
        if not saved.is_file():
            raise UsageError(f"{run_dir}: cannot recompute the figures ({exc}) and there is "
                             f"no {RESULTS} to render") from None
        reason = str(exc)
    try:
        results = json.loads(saved.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{saved}: not readable JSON ({exc}), and the figures cannot be "
                         f"recomputed ({reason})") from None
    reporters = build_reporters(get_host(plugins_dirs), formats or ["markdown"], "--format")
    paths = [r.render(results, run_dir) for r in reporters if r.plugin_name != "json"]
    warning = f"rendered the saved {RESULTS} without recomputing: {reason}"
    return results, paths, warning


def rerender_bench(bench_dir: Path, formats: Sequence[str] | None = None,
                   plugins_dirs: tuple[str, ...] = ()
                   ) -> tuple[dict[str, Any], list[Path], list[str]]:
    """Recompute every cell of a bench, then render the bench's own reports."""
    warnings: list[str] = []

    def cell(cell_dir: Path) -> dict[str, Any]:
        results, _, warning = rerender_run(cell_dir, None, plugins_dirs)
        if warning:
            warnings.append(f"{cell_dir}: {warning}")
        return results

    _, results = collect(bench_dir, cell)
    specs: Sequence[Any] | None = formats
    if not specs:
        try:
            copy = yaml.safe_load((bench_dir / SUITE_COPY).read_text(encoding="utf-8"))
            specs = copy.get("report") or DEFAULT_BENCH_REPORTS
        except (OSError, yaml.YAMLError, AttributeError):
            specs = DEFAULT_BENCH_REPORTS
    reporters = build_reporters(get_host(plugins_dirs), specs, "--format")
    return results, render(results, bench_dir, reporters), warnings


__all__ = ["recompute_run", "rerender_bench", "rerender_run"]
