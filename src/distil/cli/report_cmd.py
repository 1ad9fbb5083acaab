"""`distil report`: render a run (or a bench) again from what it stored, calling no model."""

from __future__ import annotations

from pathlib import Path

import click

from distil.cli.options import plugins_dir_option


@click.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--format", "formats", multiple=True, metavar="FORMAT",
              help="Reporter to render (repeatable): markdown, html, json, or any installed "
                   "reporter. Default: the recipe's (or suite's) `report:` list.")
@plugins_dir_option
def command(run_dir: str, formats: tuple[str, ...], plugins_dirs: tuple[str, ...]) -> None:
    """Recompute RUN_DIR's figures from its store and write its reports again.

    No model is called: evaluation records and any judge answers are read from the run's
    store.sqlite, and every metric of the run's evaluation is recomputed with the installed
    distil, from the run's own recipe.yaml. When that recipe cannot be built any more (its
    corpus moved, a plugin uninstalled) the saved results.json is rendered as it is (with a
    warning). A store that is missing, empty or damaged is refused, and nothing is written.
    The run's record (its start and end in manifest.json) is never changed; results.json
    says when it was rendered. A bench directory (from `distil bench`) recomputes each of its
    cells and renders the matrix.

    \b
      distil report runs/quickstart/20261124-101500
      distil report runs/quickstart/20261124-101500 --format html
      distil report runs/bench/summaries/20261124-120000
    """
    from distil.cli.run_summary import echo_paths
    from distil.engine.rerender import rerender_bench, rerender_run
    from distil.suite.bench import BENCH_MANIFEST

    path = Path(run_dir)
    if (path / BENCH_MANIFEST).is_file():
        _, paths, warnings = rerender_bench(path, formats, plugins_dirs)
    else:
        _, paths, warning = rerender_run(path, formats, plugins_dirs)
        warnings = [warning] if warning else []
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    echo_paths(paths)
