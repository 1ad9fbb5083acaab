"""`distil validate`: check recipes without running anything."""

from __future__ import annotations

import sys

import click

from distil.cli.options import plugins_dir_option
from distil.errors import DistilError


@click.command("validate")
@click.argument("recipes", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--no-corpus", is_flag=True,
              help="Do not read the corpus: a fast check of the recipe file alone.")
@plugins_dir_option
def command(recipes: tuple[str, ...], no_corpus: bool, plugins_dirs: tuple[str, ...]) -> None:
    """Validate RECIPES: everything `distil run` would fail on, without calling a model.

    Checks the YAML, fields, plugin names and options, templates (names they use, syntax,
    sandbox), model request params and input files. Unless --no-corpus is given it also READS
    THE CORPUS, as a run would: every document (encoding, malformed lines, missing text
    fields, each document's own constraints), unique ids, `sample` and `split` against the
    corpus size, and the prompt rendered for the first documents.

    A suite is checked with each recipe it lists. Prints `ok: FILE` for each valid file and one
    `FILE:LINE: FIELD: problem` line for each invalid one. Input data that is missing but downloadable (the livedoor corpus) does not
    make a recipe invalid: a note says how to fetch it. Exit status 0 when all are valid, 2
    otherwise.

    \b
      distil validate recipes/*.yaml
      distil validate --no-corpus recipes/quickstart.yaml
    """
    from distil.recipe import load_recipe
    from distil.recipe.preflight import preflight
    from distil.suite import is_suite_file, load_suite

    bad = 0
    for path in recipes:
        try:
            if is_suite_file(path):  # a suite has a top-level `recipes:` (see distil.suite)
                recipe = load_suite(path, plugins_dirs, allow_missing_data=True)
                tasks = [load_recipe(t.path, recipe.plugins_dirs, allow_missing_data=True)
                         for t in recipe.tasks]
            else:
                recipe = load_recipe(path, plugins_dirs, allow_missing_data=True)
                tasks = [recipe]
            for task in tasks:
                preflight(task, read_corpus=not (no_corpus or task.missing_data))
        except DistilError as exc:
            bad += 1
            click.echo(f"error: {exc}", err=True)
        else:
            click.echo(f"ok: {path}")
            for note in recipe.missing_data:
                click.echo(f"note: {note}", err=True)
    if bad:
        sys.exit(2)
