"""`--max-cost` takes a finite amount of dollars, 0 or more: nan, inf and negatives are refused.

Before, `--max-cost nan` was accepted (and a budget of nan never stops a run).
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from distil.cli.options import max_cost_option
from distil.errors import UsageError
from tests.core.clihelp import distil


@click.command()
@max_cost_option
def budget(max_cost):
    click.echo(repr(max_cost))


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1", "-0.01", "1e999", "ten",
                                   ""])
def test_a_budget_that_is_not_a_finite_amount_is_refused(value):
    result = CliRunner().invoke(budget, ["--max-cost", value])
    assert isinstance(result.exception, UsageError), result.output
    assert str(result.exception) == (f"--max-cost must be an amount of US dollars, 0 or more "
                                     f"(e.g. --max-cost 2.50), got {value!r}")


@pytest.mark.parametrize("value,amount", [("0", 0.0), ("2.50", 2.5), ("1e-3", 0.001)])
def test_a_finite_amount_is_the_budget(value, amount):
    result = CliRunner().invoke(budget, ["--max-cost", value])
    assert result.exit_code == 0 and result.output == f"{amount!r}\n"


def test_no_budget_is_none():
    assert CliRunner().invoke(budget, []).output == "None\n"


@pytest.mark.parametrize("command", ["run", "bench"])
def test_the_commands_refuse_it_in_one_line_before_reading_anything(tmp_path, command):
    out = distil(command, "nowhere.yaml", "--max-cost", "nan", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr == ("error: --max-cost must be an amount of US dollars, 0 or more "
                          "(e.g. --max-cost 2.50), got 'nan'\n")
