"""`distil eval`: every named model answers the held-out documents once, then the report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from distil.cli.options import max_cost_option, no_cache_option, plugins_dir_option, progress_option
from distil.errors import DistilError


@click.command("eval")
@click.argument("recipe", type=click.Path(dir_okay=False))
@click.option("--model", "-m", "models", multiple=True, metavar="MODEL",
              help="A model to evaluate (repeatable): `local/smollm2`, `openai/gpt-4.1-mini`, "
                   "`replay/outputs.jsonl`, `teacher`, or an inline mapping such as "
                   "'{openai: {model: m, base_url: \"http://host/v1\"}}'. "
                   "Default: the recipe's evaluate.models.")
@click.option("--split", type=click.Choice(["train", "validation", "test"]),
              help="Which split to answer (default: the recipe's evaluate.split, else test).")
@click.option("--limit", type=click.IntRange(min=1), help="At most N documents.")
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="Run directory (default: runs/<recipe name>/<timestamp>). An existing run "
                   "of the same recipe is reused: answers already stored are not asked again.")
@no_cache_option
@max_cost_option
@progress_option
@plugins_dir_option
def command(recipe: str, models: tuple[str, ...], split: str | None, limit: int | None,
            run_dir: str | None, no_cache: bool, max_cost: float | None,
            progress: bool | None, plugins_dirs: tuple[str, ...]) -> None:
    """Evaluate models single-shot on RECIPE's held-out documents.

    Each model answers each document once (no refine), concurrently, through the engine
    (response cache, retries, rate limits, cost). Every answer is stored with its verdicts,
    latency, tokens and cost; the recipe's metrics and reports are then written to the run
    directory (results.json, report.md, ...). Exit status 1 when some requests failed.

    \b
      distil eval recipes/quickstart.yaml --model local/smollm2
      distil eval recipe.yaml -m teacher -m openai/gpt-4.1-mini --limit 20
      distil eval recipe.yaml -m replay/outputs.jsonl --run-dir runs/replayed
    """
    from distil.cli.run_summary import echo_models, echo_paths, exit_for, remove_if_untouched
    from distil.engine.context import RunOptions
    from distil.engine.evaluation import plan_for
    from distil.engine.rundir import new_run_dir
    from distil.engine.runner import Runner
    from distil.recipe import load_recipe

    loaded = load_recipe(recipe, plugins_dirs)
    plan = plan_for(loaded, models=models, split=split, limit=limit)
    target = Path(run_dir) if run_dir else new_run_dir(loaded)
    existed = target.exists()
    try:
        runner = Runner(loaded, target, RunOptions(progress=progress, use_cache=not no_cache,
                                                   max_cost=max_cost), plan=plan)
        click.echo(f"run directory: {target}", err=True)
        paths = asyncio.run(runner.run(("evaluate", "report")))
    except DistilError as exc:
        if exc.exit_code == 2:
            remove_if_untouched(target, existed)
        raise
    echo_models(runner.last_results)
    echo_paths(paths)
    exit_for(runner.last_outcome, generated=False)
