"""Fine-tuning datasets: checking a chat JSONL file before it is uploaded or trained on.

`validate` holds the format checks (the ones OpenAI's data-preparation guide performs, each
with its line number) and counts tokens offline (`distil.text.tokens`); `report` holds what it
found, ready to print or to turn into JSON; `parquet` writes the optional Parquet copy of an
export. Trainer plugins call `validate_file` in their `prepare`; `distil dataset validate`
prints its report. Prices are no part of core: a trainer estimates what training costs
(`Trainer.estimate`).
"""

from distil.datasets.validate import Problem, Report, validate_file

__all__ = ["Problem", "Report", "validate_file"]
