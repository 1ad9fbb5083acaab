"""The `replay` model: outputs already on disk, served as if a model had just written them.

Outputs produced elsewhere (another tool, a past run, a provider's batch job, a human) can then
be checked against constraints and evaluated like any model's. The file is JSONL, one object
per document::

    {"id": "doc-17", "output": "- first line\\n- second\\n- third"}

Two ways to find a document's output:

- `match: id` (default): by document id. `complete(messages, params)` is not told which
  document it answers, so this class sets `wants_doc_id` and the engine passes the id in the
  per-call params under the reserved key `_doc_id` (`distil.kinds.model.DOC_ID_PARAM`).
  Callers outside the engine do the same: `await model.complete(messages, {"_doc_id": "d1"})`.
- `match: prompt`: by the text of the request's last user message, compared with each line's
  `prompt` field (or the last user message of its `messages` list), surrounding whitespace
  ignored. No document id needed.

A recipe may write `replay/outputs.jsonl` (the path in place of a model id) or a mapping with
`path`. Relative paths are resolved against the recipe's folder (from the validation context,
see `Plugin.resolve_path`), else the working directory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from distil.errors import ModelError, SourceError
from distil.kinds import Model
from distil.kinds.model import DOC_ID_PARAM
from distil.types import Completion, Message, Usage

_MISSING = object()


class ReplayModel(Model):
    """Outputs already on disk (JSONL keyed by document id or prompt) served as a model."""

    wants_doc_id: ClassVar[bool] = True

    model: str = Field(default="", description="A name for reports (or the path, if `path` "
                                                "is not set: `replay/outputs.jsonl`).")
    path: str | None = Field(default=None, description="The JSONL file of outputs.")
    id_field: str = Field(default="id", description="Field holding the document id.")
    output_field: str = Field(
        default="output",
        description="Field holding the output (`response` is accepted when `output` is absent).")
    prompt_field: str = Field(default="prompt",
                              description="Field holding the prompt, for `match: prompt`.")
    match: Literal["id", "prompt"] = Field(
        default="id", description="Find outputs by document id or by the last user message.")

    _index: dict[str, Any] | None = PrivateAttr(default=None)
    _digest: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _has_a_file(self) -> ReplayModel:
        if not (self.path or self.model):
            raise ValueError("set `path` to the JSONL file of outputs")
        return self

    # -- the file -----------------------------------------------------------------------------
    @property
    def file(self) -> Path:
        return self.resolve_path(self.path or self.model)

    def index(self) -> dict[str, Any]:
        """Outputs by key (document id or stripped prompt), loaded once.

        Raises SourceError for a missing file, a line that is not a JSON object, a line
        without its key, or one key given two different outputs.
        """
        if self._index is None:
            self._index, self._digest = self._load()
        return self._index

    def _load(self) -> tuple[dict[str, Any], str]:
        path = self.file
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SourceError(f"replay: cannot read {path}: {exc.strerror or exc}") from None
        index: dict[str, Any] = {}
        for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                raise SourceError(f"{path}:{number}: not a JSON object")
            key = self._key_of(record)
            if key is None:
                wanted = self.id_field if self.match == "id" else self.prompt_field
                raise SourceError(f"{path}:{number}: no {wanted!r} field", field="path")
            output = self._output_of(record)
            if key in index and index[key] != output:
                what = "id" if self.match == "id" else "prompt"
                raise SourceError(f"{path}:{number}: {what} {_short(key)!r} appears twice "
                                  "with different outputs", field="path")
            index[key] = output
        return index, hashlib.sha256(data).hexdigest()

    def _key_of(self, record: Mapping[str, Any]) -> str | None:
        if self.match == "id":
            value = record.get(self.id_field)
            return None if value is None or isinstance(value, (dict, list)) else str(value)
        prompt = record.get(self.prompt_field)
        if isinstance(prompt, str):
            return prompt.strip()
        messages = record.get("messages")
        if isinstance(messages, list):
            for message in reversed(messages):
                if isinstance(message, dict) and message.get("role") == "user" \
                        and isinstance(message.get("content"), str):
                    return message["content"].strip()
        return None

    def _output_of(self, record: Mapping[str, Any]) -> Any:
        if self.output_field in record:
            return record[self.output_field]
        if self.output_field == "output" and "response" in record:
            return record["response"]
        return _MISSING

    # -- the model ----------------------------------------------------------------------------
    async def complete(self, messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion:
        index = self.index()
        if self.match == "id":
            doc_id = (params or {}).get(DOC_ID_PARAM)
            if doc_id is None:
                raise ModelError(f"{self.display_name}: match: id needs the document id in "
                                 f"params[{DOC_ID_PARAM!r}]")
            key, what = str(doc_id), f"document id {str(doc_id)!r}"
        else:
            key = next((m.content for m in reversed(messages) if m.role == "user"), "").strip()
            what = f"the prompt {_short(key)!r}"
        if key not in index:
            raise ModelError(f"{self.display_name}: no entry for {what} in {self.file}")
        output = index[key]
        if not isinstance(output, str):
            raise ModelError(f"{self.display_name}: the output for {what} is "
                             f"{'missing' if output is _MISSING or output is None else 'not text'}"
                             f" (field {self.output_field!r})")
        return Completion(text=output, usage=Usage(), cost=0.0, latency=0.0,
                          finish_reason=None, model=self.display_name)

    def cache_identity(self) -> Mapping[str, Any]:
        self.index()  # the file's digest: an edited file must not be served from the cache
        return {"plugin": self.plugin_name, "file": self._digest, "match": self.match,
                "id_field": self.id_field, "output_field": self.output_field,
                "prompt_field": self.prompt_field}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
