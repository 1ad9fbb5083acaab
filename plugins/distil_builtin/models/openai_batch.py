"""The OpenAI Batch API for the `openai` model (`teacher.execution: batch`).

Requests go up as one JSONL file (`files.create`, purpose `batch`), run as one batch
(`batches.create`, endpoint `/v1/chat/completions`, 24-hour window) and come back as an output
file and an error file, matched by `custom_id`. OpenAI bills batch requests at half the price
of the same requests sent one by one, so each completion's cost is the list price times
`BATCH_DISCOUNT`.

This is a mixin of `OpenAIModel` (it uses that class's client, key handling and
`build_completion`); the engine's side, rounds, persistence and retries, is
`distil.engine.batch`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from distil.errors import ModelError
from distil.kinds.batch import BatchResult, BatchStatus
from distil.types import Message
from distil_builtin.models.failures import TRANSIENT_STATUS, to_model_error
from distil_builtin.models.grammar_fields import place_grammar

BATCH_DISCOUNT = 0.5
ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
NO_KEY = "not-needed"  # what OpenAIModel sends when api_key_env is null


class OpenAIBatchMixin:
    """Batch methods for OpenAIModel (see distil.kinds.batch.BatchCapable)."""

    def batch_line(self: Any, custom_id: str, messages: Sequence[Message],
                   params: Mapping[str, Any] | None) -> dict[str, Any]:
        body = {"model": self.model, "messages": self.wire_messages(messages),
                **place_grammar(self.grammar_field, self.request_params(params))}
        body.update(body.pop("extra_body", None) or {})  # a file has no SDK signature to dodge
        return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}

    async def batch_submit(self: Any, lines: Sequence[Mapping[str, Any]],
                           metadata: Mapping[str, str]) -> tuple[str, str]:
        key = self.read_api_key()
        client = self._client_for(key or NO_KEY)
        data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        try:
            uploaded = await client.files.create(
                file=("distil-batch.jsonl", data.encode("utf-8"), "application/jsonl"),
                purpose="batch")
            batch = await client.batches.create(
                input_file_id=uploaded.id, endpoint=ENDPOINT,
                completion_window=COMPLETION_WINDOW, metadata=dict(metadata))
        except Exception as exc:
            raise _error(exc, self, key) from None
        return batch.id, uploaded.id

    async def batch_status(self: Any, batch_id: str) -> BatchStatus:
        key = self.read_api_key()
        client = self._client_for(key or NO_KEY)
        try:
            batch = await client.batches.retrieve(batch_id)
        except Exception as exc:
            raise _error(exc, self, key) from None
        counts = getattr(batch, "request_counts", None)
        errors = getattr(getattr(batch, "errors", None), "data", None) or []
        return BatchStatus(
            id=batch.id, status=batch.status,
            total=getattr(counts, "total", 0) or 0,
            completed=getattr(counts, "completed", 0) or 0,
            failed=getattr(counts, "failed", 0) or 0,
            output_file_id=batch.output_file_id, error_file_id=batch.error_file_id,
            errors=tuple(_batch_error_text(e) for e in errors),
        )

    async def batch_results(self: Any, status: BatchStatus) -> list[BatchResult]:
        key = self.read_api_key()
        client = self._client_for(key or NO_KEY)
        results: list[BatchResult] = []
        for file_id in (status.output_file_id, status.error_file_id):
            if not file_id:
                continue
            try:
                content = await client.files.content(file_id)
            except Exception as exc:
                raise _error(exc, self, key) from None
            for raw in content.text.splitlines():
                if raw.strip():
                    results.append(self._batch_result(json.loads(raw)))
        return results

    def _batch_result(self: Any, line: Mapping[str, Any]) -> BatchResult:
        """One line of an output or error file as a BatchResult."""
        custom_id = str(line.get("custom_id"))
        error = line.get("error")
        response = line.get("response") or {}
        status = response.get("status_code")
        body = response.get("body") or {}
        if error:
            code = error.get("code") or "error"
            return BatchResult(custom_id, None, f"{self.display_name}: batch request failed: "
                               f"{code}: {error.get('message') or ''}".strip())
        if status != 200:
            inner = body.get("error") if isinstance(body, Mapping) else None
            message = inner.get("message") if isinstance(inner, Mapping) else None
            retryable = not isinstance(status, int) or status in TRANSIENT_STATUS or status >= 500
            return BatchResult(custom_id, None, f"{self.display_name}: HTTP {status}: "
                               f"{message or 'batch request failed'}", retryable)
        choices = body.get("choices") or []
        if not choices:
            return BatchResult(custom_id, None,
                               f"{self.display_name}: malformed response: no choices")
        choice = choices[0]
        usage = body.get("usage") or {}
        try:
            completion = self.build_completion(
                text=(choice.get("message") or {}).get("content"),
                finish_reason=choice.get("finish_reason"),
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0),
                response_model=body.get("model"), latency=0.0, raw=body)
        except ModelError as exc:
            return BatchResult(custom_id, None, str(exc), retryable=False)
        if completion.cost is not None:
            completion = replace(completion, cost=completion.cost * BATCH_DISCOUNT)
        return BatchResult(custom_id, completion)


def _error(exc: BaseException, model: Any, key: str | None) -> BaseException:
    error = to_model_error(exc, who=f"{model.display_name} (batch)", timeout=model.timeout,
                           secret=key)
    return error if error is not None else exc


def _batch_error_text(error: Any) -> str:
    line = getattr(error, "line", None)
    where = f"line {line}: " if line else ""
    return f"{where}{getattr(error, 'code', None) or 'error'}: {getattr(error, 'message', '')}"
