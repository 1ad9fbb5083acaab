"""A `TrainingRun` for calling a trainer directly, with the run's real store behind its ledger."""

from __future__ import annotations

import textwrap
from pathlib import Path

from distil.engine.jobs import JobLedger
from distil.engine.store import RunStore
from distil.kinds.trainer import PromptTask, TrainingRun


def run_store(run_dir: Path) -> RunStore:
    """The store of the run in `run_dir`: opened when it exists (a resumed run), else created."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "store.sqlite"
    return RunStore.open(path) if path.exists() else RunStore.create(path)


def training_run(run_dir: Path, *, yes: bool = True,
                 prompts: tuple[PromptTask, ...] = ()) -> TrainingRun:
    """The run in `run_dir`; the same folder again is the same ledger, as on resume.
    `prompts`: the train split's documents, for a trainer that learns from rewards."""
    return TrainingRun(dir=run_dir, jobs=JobLedger(run_store(run_dir), run_dir), yes=yes,
                       prompts=prompts)


def write_student_recipe(directory: Path, name: str, student: str, report: str = "") -> Path:
    """A whole-chain recipe on eight inline documents (4 train, 2 validation, 2 test): a
    scripted teacher that always passes, then `student` (the `local: {...}` flow mapping) and
    an evaluation of teacher and student by pass rate. `report` adds a `report:` line."""
    docs = ", ".join(f'{{id: d{i}, text: "Document number {i} is about a bridge."}}'
                     for i in range(8))
    recipe = directory / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: {name}
        corpus:
          inline: {{documents: [{docs}]}}
          seed: 3
          split: {{train: 4, validation: 2, test: 2}}
        prompt:
          system: "Summarise in at most five words."
          user: "{{{{ doc.text }}}}"
        constraints:
          - word_count: {{max: 5}}
        teacher:
          model: {{scripted: {{outputs: ["A bridge story."]}}}}
          strategy: single
        student:
          local: {student}
        evaluate:
          models: [teacher, student]
          metrics: [pass_rate]
        """) + (f"report: {report}\n" if report else ""), encoding="utf-8")
    return recipe
