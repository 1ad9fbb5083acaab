"""CSV and TSV corpora: one document per row, every column a field."""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from distil.corpusio import check_encoding, iter_lines
from distil.errors import SourceError, UsageError
from distil.kinds import Corpus
from distil.types import Document
from distil.wording import plural
from distil_builtin.corpora.fields import record_to_document

log = logging.getLogger("distil.corpus")

# Article-length cells are longer than the csv module's default limit of 131,072 characters.
FIELD_SIZE_LIMIT = 2**31 - 1
TAB_SUFFIXES = (".tsv", ".tab")
# Lines are read split at "\n"; a file with old Mac "\r" endings is split at each lone "\r" too.
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


class CsvCorpus(Corpus):
    """Documents from a CSV or TSV file with a header row; every column becomes a field.

    Rows whose text is empty are skipped, and how many were skipped is logged.
    """

    path: str = Field(description="The .csv or .tsv file, relative to the recipe.")
    delimiter: str | None = Field(default=None, description="The column separator (one "
                                  "character); default: a tab for .tsv/.tab files, else a comma.")
    id_field: str = Field(default="id", description="Column holding the document id (the row "
                                                    "number, from 1, when absent).")
    text_field: str = Field(default="text", description="Column holding the text; `a+b` joins "
                                                        "several columns with a blank line.")
    encoding: str = Field(default="utf-8", description="The file's encoding (a UTF-8 BOM is "
                                                       "tolerated); e.g. cp932 for Shift_JIS.")

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError('must be one character, e.g. "," or "\\t"')
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        return check_encoding(value)

    def _file(self) -> Path:
        return self.resolve_path(self.path)

    def _delimiter(self, path: Path) -> str:
        if self.delimiter is not None:
            return self.delimiter
        return "\t" if path.suffix.lower() in TAB_SUFFIXES else ","

    @contextmanager
    def _reader(self) -> Iterator[tuple[Path, Any, list[str]]]:
        """(path, csv reader, header), turning decoding and CSV errors into one-line errors."""
        path = self._file()
        csv.field_size_limit(FIELD_SIZE_LIMIT)
        lines = iter_lines(path, self.encoding)
        records = (piece for _, line in lines for piece in _LONE_CR.split(line) if piece)
        reader = csv.reader(records, delimiter=self._delimiter(path))
        try:
            header = next(reader, None)
            if not header:
                raise SourceError(f"{path}: empty file (expected a header row)")
            dupes = sorted({h for h in header if header.count(h) > 1})
            if dupes:
                raise SourceError(f"{path}: column {dupes[0]!r} appears twice in the header")
            yield path, reader, header
        except csv.Error as exc:
            raise UsageError(f"{path}:{reader.line_num}: {exc}") from None
        finally:
            lines.close()

    def check_sources(self) -> None:
        path = self._file()
        if not path.is_file():
            raise SourceError(f"file not found: {path}", field="path")
        with self._reader() as (_, _, header):
            missing = [p for p in self.text_field.split("+") if p not in header]
        if missing:
            raise SourceError(f"{path}: no column {missing[0]!r} (columns: {', '.join(header)})",
                              field="text_field")

    def iter_documents(self) -> Iterator[Document]:
        skipped = 0
        with self._reader() as (path, reader, header):
            for number, cells in enumerate(reader, 1):
                if not cells:  # a blank line
                    continue
                if len(cells) != len(header):
                    raise UsageError(f"{path}:{reader.line_num}: {plural(len(cells), 'column')}, "
                                     f"but the header has {len(header)}")
                doc = record_to_document(dict(zip(header, cells)), id_field=self.id_field,
                                         text_field=self.text_field, constraints_field=None,
                                         fallback_id=str(number), where=f"{path}: row {number}")
                if not doc.text.strip():
                    skipped += 1
                    continue
                yield doc
        if skipped:
            log.warning("%s: skipped %d row%s with an empty %s", path, skipped,
                        "" if skipped == 1 else "s", self.text_field)
