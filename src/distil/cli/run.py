"""`distil run`: execute a recipe's stages into a run directory."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from distil.cli.options import no_cache_option, plugins_dir_option, progress_option
from distil.errors import UsageError

STAGE_NAMES = ("generate", "export", "train", "evaluate", "report")


@click.command("run")
@click.argument("recipe", required=False, type=click.Path(dir_okay=False))
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="Run directory (default: runs/<recipe name>/<timestamp>).")
@click.option("--resume", "resume", type=click.Path(file_okay=False, exists=True),
              help="Carry on a run that was stopped: nothing finished is redone; its "
                   "--limit is kept unless given again.")
@click.option("--stage", "stages", multiple=True, type=click.Choice(STAGE_NAMES),
              help="Run only this stage (repeatable); the others read what is already saved.")
@click.option("--limit", type=click.IntRange(min=1),
              help="Use at most N documents of each split (a quick trial).")
@no_cache_option
@click.option("--max-cost", type=click.FloatRange(min=0),
              help="USD budget: stop before spending would pass it (earlier spending counts).")
@progress_option
@click.option("--yes", "-y", "yes", is_flag=True,
              help="Start paid work (a fine-tuning job) without asking for confirmation.")
@plugins_dir_option
def command(recipe: str | None, run_dir: str | None, resume: str | None, stages: tuple[str, ...],
            limit: int | None, no_cache: bool, max_cost: float | None, progress: bool | None,
            yes: bool, plugins_dirs: tuple[str, ...]) -> None:
    """Run RECIPE: generate -> export -> train -> evaluate -> report.

    Every attempt is committed to the run's SQLite store before it counts, so a stopped run
    resumes with `--resume RUN_DIR` and pays for nothing twice.

    \b
      distil run recipes/quickstart.yaml
      distil run recipes/quickstart.yaml --limit 5 --run-dir /tmp/trial
      distil run --resume runs/quickstart/20261124-101500
    """
    from distil.engine.rundir import new_run_dir, read_manifest
    from distil.engine.runner import RunOptions, Runner
    from distil.recipe import load_recipe

    if resume:
        manifest = read_manifest(Path(resume))
        recipe = recipe or manifest["recipe_path"]
        run_dir = resume
        if limit is None:  # carry on the run as it was started: the same documents
            limit = manifest.get("limit")
    if not recipe:
        raise UsageError("give a RECIPE, or --resume RUN_DIR")
    loaded = load_recipe(recipe, plugins_dirs)
    target = Path(run_dir) if run_dir else new_run_dir(loaded)
    runner = Runner(loaded, target, RunOptions(limit=limit, progress=progress,
                                               use_cache=not no_cache, max_cost=max_cost,
                                               yes=yes))
    click.echo(f"run directory: {target}", err=True)
    paths = asyncio.run(runner.run(stages or STAGE_NAMES))
    results = runner.last_results
    gen = results.get("generate") or {}
    if gen:
        click.echo(f"generate: {gen['accepted']} of {gen['documents']} documents accepted "
                   f"({gen['attempts']} requests, first-shot pass rate "
                   f"{gen['first_shot_pass_rate']:.0%})")
    for label, entry in results.get("models", {}).items():
        rate = entry["metrics"].get("pass_rate", {}).get("rate")
        if rate is not None:
            click.echo(f"evaluate: {label} ({entry['model']}) pass rate {rate:.0%}")
    for p in paths:
        click.echo(f"{'report' if p.suffix == '.md' else 'wrote'}: {p}")
    # exit 1: the run finished, but some documents failed for good (request errors)
    eval_errors = sum(e["metrics"].get("pass_rate", {}).get("errors", 0)
                      for e in results.get("models", {}).values())
    if gen.get("failed") or eval_errors:
        click.echo(f"finished with failures: {gen.get('failed', 0)} documents failed in "
                   f"generate, {eval_errors} requests failed in evaluate", err=True)
        sys.exit(1)
