"""`distil bench`: every task of a suite with every model, as one matrix."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from distil.cli.options import max_cost_option, no_cache_option, plugins_dir_option, progress_option


@click.command("bench")
@click.argument("suite", type=click.Path(dir_okay=False))
@click.option("--model", "-m", "models", multiple=True, metavar="MODEL",
              help="Run these models instead of the suite's (repeatable; `provider/model` or "
                   "an inline mapping '{provider: {options}}').")
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="Bench directory (default: runs/bench/<suite name>/<timestamp>). Give an "
                   "existing one to resume it: stored answers are not asked again.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most N documents per task (for a suite of strategies: per split), in "
                   "place of the suite's limit.")
@no_cache_option
@max_cost_option
@progress_option
@plugins_dir_option
def command(suite: str, models: tuple[str, ...], run_dir: str | None, limit: int | None,
            no_cache: bool, max_cost: float | None, progress: bool | None,
            plugins_dirs: tuple[str, ...]) -> None:
    """Run the benchmark SUITE: each recipe it lists with each model.

    Every (recipe, model) cell is evaluated single-shot like `distil eval`, in its own run
    directory under the bench directory, one cell after another. The bench writes
    results.json (every cell's figures), the Markdown matrix (tasks × models: pass rate, mean
    |deviation|, latency, cost) and an HTML page, and prints the matrix. A suite with
    `strategies:` runs each task's generate stage once per strategy instead, and prints a
    table per task (pass rate, requests, tokens and seconds per accepted output, quality).
    Exit status 1 when some requests failed.

    \b
      distil bench suites/summaries.yaml
      distil bench suites/summaries.yaml -m local/smollm2 -m openai/gpt-4.1-mini
      distil bench suites/summaries.yaml --run-dir runs/bench/summaries/20261124-120000
    """
    from distil.cli.run_summary import echo_paths
    from distil.results.matrix import render_markdown
    from distil.wording import plural
    from distil.suite import load_suite
    from distil.suite.bench import new_bench_dir, run_bench

    loaded = load_suite(suite, plugins_dirs, models, limit=limit)
    target = Path(run_dir) if run_dir else new_bench_dir(loaded)
    click.echo(f"bench directory: {target}", err=True)
    results, paths = asyncio.run(run_bench(
        loaded, target, progress=progress, use_cache=not no_cache, max_cost=max_cost,
        echo=lambda line: click.echo(line, err=True)))
    click.echo(f"# {loaded.name}\n")
    for line in render_markdown(results):
        click.echo(line)
    echo_paths(paths)
    errors = results["totals"].get("request_errors") or 0
    if errors:
        click.echo(f"finished with failures: {plural(errors, 'request')} failed", err=True)
        sys.exit(1)
