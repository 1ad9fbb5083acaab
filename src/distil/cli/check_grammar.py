"""`distil check --grammar`: the compiled grammar of a constraint set, as GBNF.

Kept out of `check.py` so the judging command stays about verdicts. The output is a GBNF file
(`distil check recipe.yaml --grammar > out.gbnf` is usable as is): a comment line per
constraint says whether it compiled and, when not, why (it is then checked after decoding).
"""

from __future__ import annotations

import time

import click


def print_grammar(constraints) -> int:
    """Print the grammar; the exit status: 0 when a grammar was printed, 1 when none compiled."""
    from distil.grammar import compile_constraints

    started = time.perf_counter()
    result = compile_constraints(constraints)
    elapsed = time.perf_counter() - started
    for name in result.compiled:
        click.echo(f"# {name}: compiled")
    for name, reason in result.skipped:
        click.echo(f"# {name}: not compiled, checked after decoding: {reason}")
    if result.gbnf is None:
        click.echo("# no constraint compiles to a grammar")
        return 1
    size = len(result.gbnf.encode())
    click.echo(f"# {size:,} bytes, compiled in {elapsed * 1000:.1f} ms")
    click.echo(result.gbnf, nl=False)
    return 0
