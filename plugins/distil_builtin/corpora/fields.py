"""Turning a record (a JSON object, a CSV row) into a Document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distil.errors import SourceError, UsageError
from distil.types import Document


def record_to_document(record: Mapping[str, Any], *, id_field: str, text_field: str,
                       constraints_field: str | None, fallback_id: str, where: str) -> Document:
    """Build a Document; every other key of the record becomes a field.

    `text_field` may name several fields joined by blank lines ("title+body").
    """
    if not isinstance(record, Mapping):
        raise UsageError(f"{where}: expected a JSON object, got {type(record).__name__}")
    parts = text_field.split("+")
    missing = [p for p in parts if p not in record]
    if missing:
        raise SourceError(f"{where}: field {missing[0]!r} is missing "
                          f"(text_field={text_field!r}; keys: {', '.join(sorted(record))})",
                          field="text_field")
    text = "\n\n".join(str(record[p]) for p in parts)
    doc_id = str(record[id_field]) if id_field in record else fallback_id
    constraints: tuple = ()
    if constraints_field and record.get(constraints_field):
        raw = record[constraints_field]
        if not isinstance(raw, list):
            raise UsageError(f"{where}: {constraints_field!r} must be a list of constraint specs")
        constraints = tuple(raw)
    fields = {k: v for k, v in record.items() if k != constraints_field}
    return Document(id=doc_id, text=text, fields=fields, constraints=constraints)
