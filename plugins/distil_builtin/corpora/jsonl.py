"""JSON Lines corpora: one JSON object per line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import Field, field_validator

from distil.corpusio import check_encoding, iter_jsonl
from distil.errors import SourceError
from distil.kinds import Corpus
from distil.types import Document
from distil_builtin.corpora.fields import record_to_document

SAMPLE_NEWS = Path(__file__).resolve().parent.parent / "data" / "sample_news.jsonl"


class JsonlCorpus(Corpus):
    """Documents from a JSON Lines file, one object per line.

    Every key of an object becomes a document field (`doc.fields.title`, ...); `text_field`
    names the document text. A `constraints` list on a line applies to that document only.
    """

    path: str = Field(description="The .jsonl file, relative to the recipe.")
    id_field: str = Field(default="id", description="Key holding the document id "
                                                    "(the line number when absent).")
    text_field: str = Field(default="text", description="Key holding the text; `a+b` joins "
                                                        "several keys with a blank line.")
    constraints_field: str | None = Field(default="constraints", description="Key holding "
                                          "per-document constraint specs, or null.")
    encoding: str = Field(default="utf-8", description="The file's encoding (a UTF-8 BOM is "
                                                       "tolerated).")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        return check_encoding(value)

    def _file(self) -> Path:
        return self.resolve_path(self.path)

    def check_sources(self) -> None:
        p = self._file()
        if not p.is_file():
            raise SourceError(f"file not found: {p}", field="path")

    def iter_documents(self) -> Iterator[Document]:
        path = self._file()
        for number, record in iter_jsonl(path, self.encoding):
            yield record_to_document(
                record, id_field=self.id_field, text_field=self.text_field,
                constraints_field=self.constraints_field, fallback_id=str(number),
                where=f"{path}:{number}",
            )


class SampleNewsCorpus(JsonlCorpus):
    """The bundled sample corpus: short English news-style articles written for distil.

    They are fiction (invented towns, firms and people), so they can ship with the project.
    Fields: id, title, body, category. The text is `title` and `body`.
    """

    path: str = Field(default=str(SAMPLE_NEWS), description="Defaults to the bundled file.")
    text_field: str = Field(default="body", description="`body`, `title` or `title+body`.")
