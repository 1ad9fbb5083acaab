"""`distil dataset`: work with fine-tuning datasets (`validate`)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from distil.cli.options import plugins_dir_option
from distil.errors import UsageError


@click.group("dataset")
def command() -> None:
    """Check fine-tuning datasets before they are uploaded or paid for.

    \b
      distil dataset validate runs/quickstart/20261124-101500/train.jsonl
    """


@command.command("validate", short_help="Check a chat fine-tuning JSONL file; estimate cost.")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--trainer", "trainer_name", default="openai", show_default=True, metavar="NAME",
              help="The trainer plugin that estimates the cost (the options below are its "
                   "base_model, n_epochs and training_price_per_million).")
@click.option("--base-model", default=None, metavar="MODEL",
              help="Base model for token counts and the cost estimate (default: the "
                   "trainer's; openai: gpt-4.1-mini-2025-04-14).")
@click.option("--n-epochs", type=click.IntRange(min=1), default=None,
              help="Epochs for the estimate (default: OpenAI's rule for the file's size).")
@click.option("--price-per-million", type=click.FloatRange(min=0), default=None,
              help="Training price in USD per 1M tokens (default: the trainer's table).")
@click.option("--min-examples", type=click.IntRange(min=0), default=10, show_default=True,
              help="Fewer examples than this is an error (1 suits a validation file).")
@plugins_dir_option
def validate(file: str, as_json: bool, trainer_name: str, base_model: str | None,
             n_epochs: int | None, price_per_million: float | None, min_examples: int,
             plugins_dirs: tuple[str, ...]) -> None:
    """Check FILE with the checks of OpenAI's data-preparation guide.

    Every problem is printed with its line: data_type, missing_messages_list,
    message_missing_key, message_unrecognized_key, unrecognized_role, missing_content,
    example_missing_assistant_message, invalid_weight and too_few_examples are errors;
    missing_system_message, missing_user_message and too_many_tokens (over 16,385) are
    warnings. Then token statistics and the trainer's estimate (openai: the epochs OpenAI
    would pick and the cost at its list price).

    Exit status: 0 valid, 1 invalid, 2 unreadable.

    \b
      distil dataset validate train.jsonl
      distil dataset validate train.jsonl --json --base-model gpt-4o-mini-2024-07-18
    """
    from distil.datasets.validate import validate_file

    options = {"base_model": base_model, "n_epochs": n_epochs,
               "training_price_per_million": price_per_million}
    trainer = _trainer(trainer_name, {k: v for k, v in options.items() if v is not None},
                       plugins_dirs)
    report = validate_file(file, base_model=getattr(trainer, "base_model", base_model),
                           min_examples=min_examples)
    if report.example_tokens:
        report.estimate = trainer.estimate(report.example_tokens)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        for line in report.render():
            click.echo(line)
    if not report.valid:
        sys.exit(1)


def _trainer(name: str, options: dict[str, Any], plugins_dirs: tuple[str, ...]) -> Any:
    """The trainer plugin `name` built with these options (a bad one is a usage error)."""
    from pydantic import ValidationError

    from distil.plugins import get_host

    cls = get_host(plugins_dirs).get("trainer", name)
    try:
        return cls.model_validate(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or name
        raise UsageError(f"--trainer {name}: {field}: {first['msg']}") from None
