"""What every stage of one run shares: the recipe, the run directory, the store and pipeline.

Stages (generate, export, train, evaluate, report) are functions of a `RunContext`; none of
them keeps state of its own between runs, since everything lasting is in the run directory.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from distil.engine.budget import Budget
from distil.engine.cache import ResponseCache
from distil.engine.prompting import render_prompt
from distil.engine.requests import RequestPipeline
from distil.engine.rundir import now_utc, write_manifest
from distil.engine.splits import sample_and_split, split_ids
from distil.engine.store import RunStore
from distil.errors import UsageError
from distil.templating import TemplateRenderError
from distil.kinds import ConstraintSet
from distil.recipe import LoadedRecipe
from distil.recipe.resolve import build_document_constraints
from distil.types import Document, Message

STAGES = ("generate", "export", "train", "evaluate", "report")
GENERATE, EVALUATE = "generate", "evaluate"  # stage names, as stored with each attempt
TEACHER = "teacher"  # the label the teacher's attempts are stored under


@dataclass
class RunOptions:
    limit: int | None = None          # at most this many documents per split
    progress: bool | None = None      # None: bars on a terminal, periodic lines elsewhere
    use_cache: bool = True            # the response cache shared across runs
    cache_dir: Path | None = None     # default: distil.engine.cache.default_cache_dir()
    max_cost: float | None = None     # USD budget for this run (earlier spending included)
    yes: bool = False                 # confirm paid work (e.g. a fine-tuning job) without asking


class RunContext:
    """One run's shared state; built by the Runner, handed to each stage."""

    def __init__(self, recipe: LoadedRecipe, run_dir: Path, options: RunOptions,
                 manifest: dict[str, Any], store: RunStore) -> None:
        self.recipe = recipe
        self.run_dir = run_dir
        self.options = options
        self.manifest = manifest
        self.store = store
        cache = ResponseCache(options.cache_dir) if options.use_cache else None
        budget = Budget(options.max_cost, spent=store.totals()["cost"])
        self.pipeline = RequestPipeline(store, cache, budget, seed=recipe.spec.corpus.seed)
        self._splits: dict[str, list[Document]] | None = None
        self._split_ids: dict[str, list[str]] | None = None
        self._doc_constraints: dict[str, ConstraintSet] = {}
        self.stages_chosen = False  # the user named the stages (`--stage`)

    def splits(self) -> dict[str, list[Document]]:
        """The run's documents per split (sampled once, deterministically, then cut to
        `--limit`)."""
        if self._splits is None:
            spec = self.recipe.spec.corpus
            split = spec.split.model_dump() if spec.split else None
            try:
                splits = sample_and_split(self.recipe.corpus.iter_documents(),
                                          sample=spec.sample, seed=spec.seed, split=split)
            except UsageError as exc:
                raise UsageError(f"{self.recipe.path}: {exc}") from None
            if not any(splits.values()):
                raise UsageError(f"{self.recipe.path}: corpus: the corpus has no documents")
            if self.options.limit:
                splits = {k: v[: self.options.limit] for k, v in splits.items()}
            self._splits = splits
        return self._splits

    def split_ids(self) -> dict[str, list[str]]:
        """The ids `splits` gives, read without keeping a document (the corpus is read once,
        for its ids): what a stage that streams its documents holds."""
        if self._splits is not None:
            return {k: [d.id for d in v] for k, v in self._splits.items()}
        if self._split_ids is None:
            spec = self.recipe.spec.corpus
            split = spec.split.model_dump() if spec.split else None
            try:
                ids = split_ids((d.id for d in self.recipe.corpus.iter_documents()),
                                sample=spec.sample, seed=spec.seed, split=split)
            except UsageError as exc:
                raise UsageError(f"{self.recipe.path}: {exc}") from None
            if not any(ids.values()):
                raise UsageError(f"{self.recipe.path}: corpus: the corpus has no documents")
            if self.options.limit:
                ids = {k: v[: self.options.limit] for k, v in ids.items()}
            self._split_ids = ids
        return self._split_ids

    def stream_documents(self, wanted: Mapping[str, str]) -> Iterator[tuple[str, Document]]:
        """(split, document) for every id in `wanted` (id -> split), in corpus order, each
        read from the corpus when it is needed."""
        for doc in self.recipe.corpus.iter_documents():
            split = wanted.get(doc.id)
            if split is not None:
                yield split, doc

    def documents(self) -> dict[str, Document]:
        return {d.id: d for docs in self.splits().values() for d in docs}

    def constraints_for(self, doc: Document) -> ConstraintSet:
        """The recipe's constraints plus the document's own."""
        if not doc.constraints:
            return self.recipe.constraints
        if doc.id not in self._doc_constraints:
            own = build_document_constraints(self.recipe.host, doc.constraints,
                                             f"{self.recipe.path}: document {doc.id!r}")
            self._doc_constraints[doc.id] = ConstraintSet([*self.recipe.constraints, *own])
        return self._doc_constraints[doc.id]

    def prompt_for(self, doc: Document) -> tuple[Message, ...]:
        """The document's rendered prompt; a template that fails on it names the recipe's
        file, line and field, and the document."""
        try:
            return render_prompt(self.recipe.spec.prompt, doc)
        except TemplateRenderError as exc:
            raise self.recipe.source.error(("prompt", getattr(exc, "field", "user")),
                                           f"{exc} (rendering document {doc.id!r})") from None

    def mark(self, stage: str, status: str) -> None:
        """Record a stage's (or the whole run's) status in the manifest."""
        self.manifest["stages"][stage] = {"status": status, "at": now_utc()}
        write_manifest(self.run_dir, self.manifest)

    @staticmethod
    def say(message: str) -> None:
        """One line on stderr for the person running distil."""
        print(message, file=sys.stderr, flush=True)

    def skip(self, message: str) -> None:
        """Say why a stage has nothing to do, when the user asked for that stage by name (a
        whole run passes over a stage the recipe does not have without a word)."""
        if self.stages_chosen:
            self.say(message)
