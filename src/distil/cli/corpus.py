"""`distil corpus`: look at a recipe's documents (`stats`) and fetch public corpora (`download`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from distil.cli.options import plugins_dir_option
from distil.errors import UsageError


@click.group("corpus")
def command() -> None:
    """Inspect and fetch corpora.

    \b
      distil corpus stats recipes/livedoor-summary-100.yaml
      distil corpus download livedoor --dest data
    """


@command.command("stats", short_help="Documents per split and category, and their lengths.")
@click.argument("recipe", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@plugins_dir_option
def stats(recipe: str, as_json: bool, plugins_dirs: tuple[str, ...]) -> None:
    """Count and measure RECIPE's documents, per split and per category.

    The documents are sampled and split exactly as `distil run` would (the recipe's corpus,
    `sample`, `seed` and `split`); no model is called. Lengths are Unicode code points after NFC
    normalisation: mean, median, min and max.

    \b
      distil corpus stats recipes/livedoor-summary-100.yaml --json
    """
    from distil.cli.corpus_stats import corpus_stats, render_text
    from distil.recipe import load_recipe
    from distil.recipe.preflight import read_documents, split_documents

    loaded = load_recipe(recipe, plugins_dirs)
    spec = loaded.spec.corpus
    split = spec.split.model_dump() if spec.split else None
    docs = read_documents(loaded)
    splits = split_documents(loaded, docs)
    figures = {
        "recipe": recipe,
        "corpus": loaded.corpus.plugin_name,
        "sample": spec.sample,
        "seed": spec.seed,
        **corpus_stats(splits, split_given=split is not None, corpus_documents=len(docs)),
    }
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False))
        return
    for line in render_text(figures):
        click.echo(line)


@command.command("download", short_help="Download a public corpus and verify it.")
@click.argument("name", type=click.Choice(["livedoor"]))
@click.option("--dest", type=click.Path(file_okay=False), default="data", show_default=True,
              help="Directory to save the file in (created if needed).")
@click.option("--url", help="Download from this address instead of the official one.")
@click.option("--sha256", "sha256", metavar="HEX",
              help="Refuse the file unless its SHA-256 digest is HEX.")
@click.option("--force", is_flag=True, help="Download again even if the file is already there.")
@click.option("--timeout", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Seconds to wait for the server before giving up.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: when stderr is a terminal).")
def download(name: str, dest: str, url: str | None, sha256: str | None, force: bool,
             timeout: float, progress: bool | None) -> None:
    """Download the public corpus NAME into DEST and verify it.

    livedoor: the livedoor news corpus as its publisher distributes it
    (ldcc-20140209.tar.gz). It is checked to be a tar archive with articles in each
    of the nine category folders, and against --sha256 when given. The corpus itself is under
    the licence stated in its LICENSE.txt files (CC BY-ND 2.1 JP).

    \b
      distil corpus download livedoor --dest data
    """
    from distil.cli.corpus_download import (
        DOWNLOADS,
        check_sha256,
        fetch,
        sha256_of,
        verify,
    )

    item = DOWNLOADS[name]
    expected = check_sha256(sha256) or item.sha256
    source = url or item.url
    target = Path(dest) / item.filename
    if target.exists() and not force:
        try:
            found = verify(item, target, str(target), sha256_of(target), expected)
        except UsageError as exc:
            raise UsageError(f"{exc} (the file was already there; --force downloads it again)"
                             ) from None
        click.echo(f"already downloaded: {target}")
        click.echo(f"verified: {found}")
        _echo_hint(item.recipe_hint, target)
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {target.parent}: {exc.strerror}") from None
    part = target.with_name(target.name + ".part")
    size, digest = fetch(source, part, timeout=timeout, progress=progress)
    try:
        found = verify(item, part, f"the file from {source}", digest, expected)
    except UsageError as exc:
        part.unlink(missing_ok=True)
        raise UsageError(f"{exc}; nothing was saved") from None
    part.replace(target)
    click.echo(f"downloaded: {target} ({size:,} bytes)")
    click.echo(f"sha256: {digest}")
    click.echo(f"verified: {found}")
    _echo_hint(item.recipe_hint, target)


def _echo_hint(hint: str, target: Path) -> None:
    if hint:
        click.echo("use it in a recipe (the path is relative to the recipe file):")
        click.echo("  " + hint.format(path=target.as_posix()))
