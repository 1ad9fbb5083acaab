"""What a model offers so the teacher can run through its provider's batch API.

A batch API takes a file of requests and answers them all within hours, at a discount (OpenAI's
Batch API: half price, 24-hour window). A model plugin that can do this implements the
`BatchCapable` methods below; `teacher.execution: batch` is refused at recipe load for a model
that does not. The engine (`distil.engine.batch`) owns rounds, persistence and retries; the
plugin only speaks its provider's wire format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from distil.types import Completion, Message

TERMINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass(frozen=True)
class BatchStatus:
    """A batch as the provider reports it.

    `status` uses OpenAI's words: validating, in_progress, finalizing, completed, failed,
    expired, cancelling, cancelled. `errors` are the provider's reasons when the batch as a
    whole failed (e.g. an invalid input line).
    """

    id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class BatchResult:
    """One request's outcome. `completion` is priced at the batch rate. A failed request has
    `error` set; `retryable` says whether sending it again could help (a 5xx, an expired
    window) or not (a 400 for a malformed request)."""

    custom_id: str
    completion: Completion | None
    error: str | None = None
    retryable: bool = True


@runtime_checkable
class BatchCapable(Protocol):
    """Methods a model implements to be used with `teacher.execution: batch`."""

    def batch_line(self, custom_id: str, messages: Sequence[Message],
                   params: Mapping[str, Any] | None) -> dict[str, Any]:
        """One request of the input file (JSON-ready)."""

    async def batch_submit(self, lines: Sequence[Mapping[str, Any]],
                           metadata: Mapping[str, str]) -> tuple[str, str]:
        """Upload the requests and create the batch; return (batch id, input file id)."""

    async def batch_status(self, batch_id: str) -> BatchStatus:
        """The batch's current status."""

    async def batch_results(self, status: BatchStatus) -> list[BatchResult]:
        """Every result in the batch's output and error files."""


def supports_batch(model: object) -> bool:
    return isinstance(model, BatchCapable)
