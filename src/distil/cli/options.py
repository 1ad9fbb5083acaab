"""Options shared by several commands."""

from __future__ import annotations

import math

import click

from distil.errors import UsageError

plugins_dir_option = click.option(
    "--plugins-dir", "plugins_dirs", multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Load plugins from the *.py files in this directory (repeatable).",
)

no_cache_option = click.option(
    "--no-cache", is_flag=True,
    help="Neither read nor write the response cache shared across runs.",
)

progress_option = click.option(
    "--progress/--no-progress", default=None,
    help="Progress bars on a terminal; elsewhere (CI, a pipe) one line every 30 s. Default: "
         "on; --no-progress turns both off.",
)


def _usd_budget(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """A finite amount of US dollars, 0 or more: `nan` would never stop, `inf` never bind."""
    if value is None:
        return None
    try:
        amount = float(value)
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount) or amount < 0:
        raise UsageError(f"--max-cost must be an amount of US dollars, 0 or more "
                         f"(e.g. --max-cost 2.50), got {value!r}")
    return amount


max_cost_option = click.option(
    "--max-cost", callback=_usd_budget, metavar="USD",
    help="USD budget: stop before spending would pass it (earlier spending counts).",
)
