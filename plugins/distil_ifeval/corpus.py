"""The `ifeval` corpus: IFEval-format prompts, each carrying its own constraints.

A row is `{"key", "prompt", "instruction_id_list", "kwargs"}` (IFEval and M-IFEval share the
format). Each becomes a Document whose `constraints` are `{"<pack>/<instruction id>": kwargs}`
specs, one per instruction, with the kwargs the row leaves as null dropped (the Hugging Face
copy of IFEval gives every row every kwarg, mostly null).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from distil.corpusio import CONVERT_HINT, iter_jsonl
from distil.errors import SourceError, UsageError
from distil.kinds import Corpus
from distil.types import Document
from distil.wording import plural
from distil_ifeval.names import constraint_name, pack_of

REQUIRED = ("key", "prompt", "instruction_id_list", "kwargs")


class IFEvalCorpus(Corpus):
    """IFEval-format prompts (IFEval, M-IFEval) with per-prompt instruction constraints."""

    path: str | None = Field(
        default=None,
        description="IFEval-format JSONL file (relative paths are relative to the recipe).",
    )
    dataset: str | None = Field(
        default=None,
        description="Hugging Face dataset id instead of a file, e.g. `google/IFEval` "
        "(needs the `datasets` package and the dataset in its cache or the network).",
    )
    split: str = Field(default="train", description="Dataset split (Hugging Face only).")
    pack: Literal["ifeval", "m-ifeval-ja"] | None = Field(
        default=None,
        description="Constraint pack for every instruction; by default each instruction's "
        "pack follows its id (`ja:` ids are M-IFEval Japanese, the rest IFEval).",
    )
    mode: Literal["strict", "loose"] | None = Field(
        default=None,
        description="Set this `mode` on every constraint (default: strict). Verdicts always "
        "report both readings.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> IFEvalCorpus:
        if (self.path is None) == (self.dataset is None):
            raise ValueError("give exactly one of `path` or `dataset`")
        return self

    # -- sources ------------------------------------------------------------------------------
    def check_sources(self) -> None:
        if self.path is not None:
            file = self.resolve_path(self.path)
            if not file.is_file():
                raise SourceError(
                    f"IFEval file not found: {file}", field="path",
                    fetch=f"save the benchmark's input file as {file}, or read it from Hugging "
                          f"Face with the `dataset` option (pip install datasets)")
            return
        try:
            import datasets  # noqa: F401
        except ImportError:
            raise SourceError(
                "reading a Hugging Face dataset needs the `datasets` package: "
                "pip install datasets (or the extra: pip install 'distil[hf]')", field="dataset",
            ) from None

    def iter_documents(self) -> Iterator[Document]:
        self.check_sources()
        for where, row in self._rows():
            yield self.to_document(row, where)

    def _rows(self) -> Iterable[tuple[str, Mapping[str, Any]]]:
        if self.path is None:
            import datasets

            for index, row in enumerate(datasets.load_dataset(self.dataset, split=self.split)):
                yield f"{self.dataset}[{index}]", row
            return
        file = self.resolve_path(self.path)
        for number, row in iter_jsonl(file, hint=CONVERT_HINT):
            where = f"{file}:{number}"
            if not isinstance(row, dict):
                raise UsageError(f"{where}: expected a JSON object per line")
            yield where, row

    # -- rows to documents ------------------------------------------------------------------
    def to_document(self, row: Mapping[str, Any], where: str = "row") -> Document:
        missing = [k for k in REQUIRED if k not in row]
        if missing:
            raise UsageError(f"{where}: missing {', '.join(missing)}")
        ids, kwargs = list(row["instruction_id_list"]), list(row["kwargs"])
        if len(ids) != len(kwargs):
            raise UsageError(
                f"{where}: {plural(len(ids), 'instruction id')} but "
                f"{plural(len(kwargs), 'kwargs entry', 'kwargs entries')}"
            )
        constraints = tuple({constraint_name(i, self.pack): self._options(k)}
                            for i, k in zip(ids, kwargs, strict=True))
        return Document(
            id=str(row["key"]),
            text=row["prompt"],
            fields={
                "key": row["key"],
                "instruction_id_list": ids,
                "kwargs": [dict(k or {}) for k in kwargs],
                "pack": self.pack or _common_pack(ids),
            },
            constraints=constraints,
        )

    def _options(self, kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
        options = {k: v for k, v in (kwargs or {}).items() if v is not None}
        if self.mode is not None:
            options["mode"] = self.mode
        return options


def _common_pack(ids: list[str]) -> str | None:
    packs = {pack_of(i) for i in ids}
    return packs.pop() if len(packs) == 1 else None

