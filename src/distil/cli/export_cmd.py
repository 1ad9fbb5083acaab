"""`distil export`: a run's per-document records as JSONL, CSV or Parquet, for pandas."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import click

from distil.errors import UsageError

SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet"}


@click.command("export")
@click.argument("run_dir", metavar="RUN", type=click.Path(exists=True, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(sorted(SUFFIX)), default="jsonl",
              show_default=True, help="The file format.")
@click.option("--stage", type=click.Choice(["all", "generate", "evaluate"]), default="all",
              show_default=True, help="Generated documents, evaluation answers, or both.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Where to write (default: RUN/documents.<format>; `-` for stdout, "
                   "jsonl and csv only).")
def command(run_dir: str, fmt: str, stage: str, output: str | None) -> None:
    """Write RUN's per-document records as JSONL, CSV or Parquet.

    One record per document and model: stage, document id, model label, split, status, the
    output as written, each constraint's measured figures, passed, signed distance and
    feedback (columns `<constraint>.passed`, ...), latency, tokens, cost, error,
    finish_reason and whether the answer was replayed from the cache. Generated documents
    give the attempt that was kept, with the number of attempts and their tokens and cost.
    A store that is missing, empty or damaged is refused.

    \b
      distil export runs/quickstart/20261124-101500 --format csv
      distil export runs/quickstart/20261124-101500 --format parquet -o docs.parquet
    """
    from distil.results.documents import documents, flat, open_run_store

    stages = ("generate", "evaluate") if stage == "all" else (stage,)
    store = open_run_store(Path(run_dir))
    try:
        rows = [flat(r) for r in documents(store, stages, conversation=False)]
    finally:
        store.close()
    if output == "-":
        if fmt == "parquet":
            raise UsageError("--format parquet cannot be written to stdout: give -o FILE")
        _write(rows, fmt, click.get_text_stream("stdout"))
        return
    path = Path(output) if output else Path(run_dir) / f"documents{SUFFIX[fmt]}"
    if fmt == "parquet":
        _write_parquet(rows, path)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            _write(rows, fmt, handle)
    click.echo(f"{path}: {len(rows)} records", err=True)


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return list(names)


def _cell(value: Any) -> Any:
    """A figure as a CSV or Parquet cell: mappings (a constraint's measured figures) as JSON."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def _write(rows: list[dict[str, Any]], fmt: str, handle: Any) -> None:
    if fmt == "jsonl":
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(handle, fieldnames=_columns(rows))
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        from distil.datasets.parquet import INSTALL_HINT

        raise UsageError(f"--format parquet needs pyarrow: {INSTALL_HINT}") from None
    columns = _columns(rows)
    table = pyarrow.Table.from_pylist(
        [{k: _cell(row.get(k)) for k in columns} for row in rows])
    pyarrow.parquet.write_table(table, path)
