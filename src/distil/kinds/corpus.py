"""Corpus: yields documents."""

from __future__ import annotations

import abc
from collections.abc import Iterator

from distil.kinds.base import Plugin
from distil.types import Document


class Corpus(Plugin, abc.ABC):
    """A source of documents, streamed.

    Relative paths in a corpus's options are relative to the recipe file: open files through
    `resolve_path` (from `Plugin`), which takes them from the folder the recipe loader passed
    in the validation context.
    """

    @abc.abstractmethod
    def iter_documents(self) -> Iterator[Document]:
        """Yield every document, in a stable order."""

    def check_sources(self) -> None:
        """Raise `distil.errors.SourceError` when an input the corpus needs is missing.

        Called by `distil validate` and before a run, so a wrong path fails fast with the
        recipe line that holds it.
        """
