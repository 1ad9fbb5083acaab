"""The small immutable values that flow through a run.

They are frozen dataclasses rather than pydantic models: they are created in hot loops
(one per attempt, per verdict) and only ever need to be compared, hashed and turned into JSON.
`to_dict()` gives the JSON form stored in the run directory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _plain(value: Any) -> Any:
    """Turn mapping proxies and tuples into JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
    return value


@dataclass(frozen=True, slots=True)
class Document:
    """One input from a corpus.

    `fields` carries whatever else the corpus knows (title, category, url, ...).
    `constraints` are the document's own constraint specs (`{name: params}` mappings),
    applied on top of the recipe's: benchmarks such as IFEval give each prompt its own.
    """

    id: str
    text: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    constraints: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen_mapping(self.fields))
        object.__setattr__(self, "constraints", tuple(self.constraints))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "fields": _plain(self.fields),
            "constraints": _plain(self.constraints),
        }


@dataclass(frozen=True, slots=True)
class Message:
    """One chat turn."""

    role: Role
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as the provider reported them (0 when it did not)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }


@dataclass(frozen=True, slots=True)
class Completion:
    """What a model plugin returns for one request.

    `cost` is in US dollars, None when unknown. `latency` is wall seconds for the request.
    `cached` marks an answer replayed from the response cache: its latency was measured when it
    was first asked, so latency figures leave it out. `raw` keeps the provider's response
    (JSON-ready) for debugging; it is never required.
    """

    text: str
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None
    latency: float = 0.0
    finish_reason: str | None = None
    model: str | None = None
    raw: Mapping[str, Any] | None = None
    cached: bool = False

    @property
    def truncated(self) -> bool:
        """Cut off by the token limit (`max_tokens`), not ended by the model."""
        return self.finish_reason == "length"

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "usage": self.usage.to_dict(),
            "cost": self.cost,
            "latency": self.latency,
            "finish_reason": self.finish_reason,
            "model": self.model,
            "cached": self.cached,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of one constraint on one output.

    - `passed` is True exactly when `distance == 0`.
    - `measured` holds the figures the check computed (e.g. `{"count": 97, "unit": "chars"}`).
    - `distance` is signed, in the constraint's unit: negative when the output falls short,
      positive when it is over, 0 when it passed. Checks without a direction use 1 for a failure.
    - `feedback` is one sentence telling a model what to change; None when passed.
    """

    constraint: str
    passed: bool
    measured: Mapping[str, Any] = field(default_factory=dict)
    distance: float = 0.0
    feedback: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "measured", _frozen_mapping(self.measured))
        object.__setattr__(self, "distance", float(self.distance))  # one type, pass or fail
        if self.passed != (self.distance == 0):
            raise ValueError(
                f"Verdict for {self.constraint!r}: passed={self.passed} but distance={self.distance}"
            )
        if not self.passed and not self.feedback:
            raise ValueError(f"Verdict for {self.constraint!r} failed without feedback")

    def to_dict(self) -> dict[str, Any]:
        return {
            "constraint": self.constraint,
            "passed": self.passed,
            "measured": _plain(self.measured),
            "distance": self.distance,
            "feedback": self.feedback,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            constraint=data["constraint"],
            passed=data["passed"],
            measured=data.get("measured") or {},
            distance=data.get("distance", 0.0),
            feedback=data.get("feedback"),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request a strategy made for a document, with what came back and how it was judged.

    `restart` counts fresh conversations (0-based), `round` counts refine rounds inside one.
    `error` is the failure reason when the request itself failed (then `completion` is None).
    `raw_output` is the text as the model wrote it when the strategy's `postprocess` changed
    it (countdown markers stripped); `completion.text` is then the processed text, the one
    judged and exported. None when the two are the same.
    """

    doc_id: str
    restart: int
    round: int
    messages: tuple[Message, ...]
    completion: Completion | None
    verdicts: tuple[Verdict, ...] = ()
    error: str | None = None
    raw_output: str | None = None

    @property
    def passed(self) -> bool:
        return self.completion is not None and self.error is None and all(
            v.passed for v in self.verdicts
        )

    @property
    def written(self) -> str | None:
        """The text as the model wrote it (what goes back into a conversation)."""
        if self.completion is None:
            return None
        return self.raw_output if self.raw_output is not None else self.completion.text

    @property
    def total_distance(self) -> float:
        """Sum of absolute distances: how far from acceptable (inf when the request failed)."""
        if self.completion is None:
            return float("inf")
        return sum(abs(v.distance) for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "restart": self.restart,
            "round": self.round,
            "messages": [m.to_dict() for m in self.messages],
            "completion": self.completion.to_dict() if self.completion else None,
            "verdicts": [v.to_dict() for v in self.verdicts],
            "error": self.error,
            "passed": self.passed,
            "raw_output": self.raw_output,
        }


@dataclass(frozen=True, slots=True)
class Sample:
    """An accepted teacher output, ready to become a fine-tuning example."""

    doc_id: str
    messages: tuple[Message, ...]  # system?, user, assistant
    passed: bool
    attempts: int
    cost: float | None = None

    def to_chat_example(self) -> dict[str, Any]:
        return {"messages": [m.to_dict() for m in self.messages]}


@dataclass(frozen=True, slots=True)
class EvalRecord:
    """One model's single-shot answer to one held-out document, as judged.

    `cached` marks an answer replayed from the response cache (its latency is not a fresh
    measurement); `finish_reason` is the provider's (`length`: cut off by the token limit).
    """

    model: str
    doc_id: str
    output: str | None
    verdicts: tuple[Verdict, ...] = ()
    latency: float = 0.0
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None
    error: str | None = None
    finish_reason: str | None = None
    cached: bool = False

    @property
    def passed(self) -> bool:
        return self.output is not None and self.error is None and all(
            v.passed for v in self.verdicts
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "doc_id": self.doc_id,
            "output": self.output,
            "verdicts": [v.to_dict() for v in self.verdicts],
            "latency": self.latency,
            "usage": self.usage.to_dict(),
            "cost": self.cost,
            "error": self.error,
            "finish_reason": self.finish_reason,
            "cached": self.cached,
            "passed": self.passed,
        }
