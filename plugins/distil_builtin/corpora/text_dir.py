"""A directory of text files, one document per file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field, field_validator

from distil.corpusio import check_encoding, read_text
from distil.errors import SourceError, UsageError
from distil.kinds import Corpus
from distil.types import Document
from distil.wording import plural

log = logging.getLogger("distil.corpus")


class TextDirCorpus(Corpus):
    """One document per file of a directory; the id is the file's relative path without suffix.

    Hidden files and folders (names starting with a dot) are left out, and so are empty files
    (how many is logged). Documents come sorted by relative path.
    """

    path: str = Field(description="The directory, relative to the recipe.")
    pattern: str = Field(default="*.txt", description="Glob matched against file names.")
    recursive: bool = Field(default=False, description="Also look in sub-directories; ids then "
                                                       "keep the sub-directory (`2024/a`).")
    encoding: str = Field(default="utf-8", description="The files' encoding (a UTF-8 BOM is "
                                                       "tolerated).")

    @field_validator("pattern")
    @classmethod
    def _relative_glob(cls, value: str) -> str:
        if not value or value.startswith("/") or ".." in Path(value).parts:
            raise ValueError("must be a file-name glob such as *.txt")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        return check_encoding(value)

    def _dir(self) -> Path:
        return self.resolve_path(self.path)

    def check_sources(self) -> None:
        d = self._dir()
        if not d.is_dir():
            raise SourceError(f"directory not found: {d}" if not d.exists()
                              else f"{d}: not a directory", field="path")

    def _files(self, root: Path) -> list[tuple[str, Path]]:
        found = root.rglob(self.pattern) if self.recursive else root.glob(self.pattern)
        out = []
        for path in found:
            rel = path.relative_to(root)
            if any(part.startswith(".") for part in rel.parts) or not path.is_file():
                continue
            out.append((rel.with_suffix("").as_posix(), path))
        return sorted(out)

    def iter_documents(self) -> Iterator[Document]:
        self.check_sources()
        root = self._dir()
        files = self._files(root)
        if not files:
            raise UsageError(f"{root}: no files match {self.pattern!r}"
                             + ("" if self.recursive else " (set `recursive: true` to look in "
                                                          "sub-directories)"))
        empty = 0
        for doc_id, path in files:
            text = read_text(path, self.encoding)
            if not text.strip():
                empty += 1
                continue
            yield Document(id=doc_id, text=text, fields={"path": path.relative_to(root).as_posix()})
        if empty:
            log.warning("%s: skipped %s", root, plural(empty, "empty file"))
