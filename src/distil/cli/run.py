"""`distil run`: execute a recipe's stages into a run directory."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from distil.cli.options import max_cost_option, no_cache_option, plugins_dir_option, progress_option
from distil.engine.context import STAGES
from distil.errors import DistilError, UsageError


@click.command("run")
@click.argument("recipe", required=False, type=click.Path(dir_okay=False))
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="Run directory (default: runs/<recipe name>/<timestamp>). It must be new, "
                   "empty, or a run of the same recipe (which is then carried on).")
@click.option("--resume", "resume", type=click.Path(file_okay=False, exists=True),
              help="Carry on a run that was stopped, with the run's own recipe.yaml: nothing "
                   "finished is redone, what failed is asked again; its --limit is kept "
                   "unless given again.")
@click.option("--stage", "stages", multiple=True, type=click.Choice(STAGES),
              help="Run only this stage (repeatable); the others read what is already saved.")
@click.option("--limit", type=click.IntRange(min=1),
              help="Use at most N documents of each split (a quick trial).")
@no_cache_option
@max_cost_option
@progress_option
@click.option("--yes", "-y", "yes", is_flag=True,
              help="Start paid work (a fine-tuning job) without asking for confirmation.")
@plugins_dir_option
def command(recipe: str | None, run_dir: str | None, resume: str | None, stages: tuple[str, ...],
            limit: int | None, no_cache: bool, max_cost: float | None, progress: bool | None,
            yes: bool, plugins_dirs: tuple[str, ...]) -> None:
    """Run RECIPE: generate -> export -> train -> evaluate -> report.

    Every attempt is committed to the run's SQLite store before it counts, so a stopped run
    (Ctrl-C, SIGTERM, a crash) resumes with `--resume RUN_DIR` and pays for nothing twice.

    Exit status: 0 success; 1 the run finished but requests failed for good, or no document
    was accepted, or there was nothing to run; 2 bad input; 130 interrupted.

    \b
      distil run recipes/quickstart.yaml
      distil run recipes/quickstart.yaml --limit 5 --run-dir /tmp/trial
      distil run --resume runs/quickstart/20261124-101500
    """
    from distil.cli.run_summary import (
        echo_generation,
        echo_models,
        echo_paths,
        exit_for,
        remove_if_untouched,
    )
    from distil.engine.context import RunOptions
    from distil.engine.rundir import load_run_recipe, new_run_dir, read_manifest
    from distil.engine.runner import Runner, nothing_to_run
    from distil.recipe import load_recipe
    from distil.recipe.preflight import preflight

    if resume:
        run_dir = resume
        if limit is None:  # carry on the run as it was started: the same documents
            limit = read_manifest(Path(resume)).get("limit")
        loaded = (load_recipe(recipe, plugins_dirs) if recipe
                  else load_run_recipe(Path(resume), plugins_dirs))
    elif recipe:
        loaded = load_recipe(recipe, plugins_dirs)
    else:
        raise UsageError("give a RECIPE, or --resume RUN_DIR")
    if not stages and (reason := nothing_to_run(loaded)):
        click.echo(reason, err=True)
        sys.exit(1)
    preflight(loaded)  # what would fail at once fails here, before a run directory exists
    target = Path(run_dir) if run_dir else new_run_dir(loaded)
    existed = target.exists()
    try:
        runner = Runner(loaded, target, RunOptions(limit=limit, progress=progress,
                                                   use_cache=not no_cache, max_cost=max_cost,
                                                   yes=yes))
        click.echo(f"run directory: {target}", err=True)
        paths = asyncio.run(runner.run(stages or STAGES))
    except DistilError as exc:
        if exc.exit_code == 2:
            remove_if_untouched(target, existed)
        raise
    results = runner.last_results
    echo_generation(results)
    echo_models(results)
    echo_paths(paths)
    exit_for(runner.last_outcome, generated=bool(results.get("generate")))
