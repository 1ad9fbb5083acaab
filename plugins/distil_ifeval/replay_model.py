"""`ifeval/replay`: a published IFEval / M-IFEval response file served as a model.

Response files hold `{"prompt", "response"}` rows, with no key, and a prompt's text can differ
slightly from the input file's (IFEval key 2785). So answers are found by the prompt the engine
sends (the document's text, as the user message), with the same pairing rules as the reference
bench: exact text, then text ignoring case and whitespace, then the nearest prompt with a
similarity of at least 0.8 — each response used once at most for an inexact match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, PrivateAttr

from distil.errors import ModelError, SourceError
from distil.kinds import Model
from distil.types import Completion, Document, Message, Usage
from distil_ifeval.replay import pair_by_prompt, read_responses


class IFEvalReplay(Model):
    """Answers with a published response file's response to the same prompt."""

    cacheable: ClassVar[bool] = False  # answers come from a file: nothing to save

    path: str = Field(description="The response JSONL file (`prompt`, `response` per line).")

    _rows: list[tuple[str, str]] | None = PrivateAttr(default=None)
    _answers: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def file(self) -> Path:
        return self.resolve_path(self.path)

    @property
    def display_name(self) -> str:
        return f"{self.plugin_name}/{self.file.stem}"

    def _load(self) -> list[tuple[str, str]]:
        if self._rows is None:
            if not self.file.is_file():
                raise SourceError(f"response file not found: {self.file}")
            self._rows = read_responses(self.file)
        return self._rows

    async def complete(self, messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion:
        prompt = next((m.content for m in reversed(messages) if m.role == "user"), "")
        if prompt not in self._answers:
            pairing = pair_by_prompt([Document(id=prompt, text=prompt)], self._load())
            if prompt not in pairing.responses:
                raise ModelError(f"{self.file.name}: no response to the prompt "
                                 f"{prompt[:60]!r}...")
            self._answers[prompt] = pairing.responses[prompt]
        return Completion(text=self._answers[prompt], usage=Usage(), cost=0.0, latency=0.0,
                          finish_reason="stop", model=self.display_name)

    def cache_identity(self) -> Mapping[str, Any]:
        digest = hashlib.sha256(self.file.read_bytes()).hexdigest() if self.file.is_file() else ""
        return {"plugin": self.plugin_name, "file": str(self.file), "sha256": digest}
