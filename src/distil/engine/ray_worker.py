"""What runs on the Ray workers of `execution: ray`, around Ray Data's LLM processor.

A round's rows carry, as plain strings, the request body (what the `openai` model would send),
the document and where the request is in the round. `Prepare` (the processor's preprocess)
turns a row into the processor's input: `payload` for the HTTP processor, `messages` and
`sampling_params` for the vLLM one. `Judge` (its postprocess) reads the answer out of the
processor's output and, where it can, runs the constraints on it right there, so the driver
gets back the verdicts with the answer and only commits.

`Session` is the HTTP processor's `session_factory` (Ray's hook for the client session its
HTTP stage uses), for four things that stage does not do as distil needs (Ray 2.60):

1. it sends each request when the stage creates it: the stage creates a batch's requests
   first and then awaits them one by one, and aiohttp sends a request only when it is awaited,
   so without this a batch goes out one request at a time;
2. it posts the body exactly as distil built it: the payload carries it as one JSON string,
   because Arrow, between the stages, gives bodies of one block the same keys (a missing
   `seed` becomes `null`) and turns integers next to nulls into floats;
3. it waits the `Retry-After` a 429 or 503 asks for before handing it back to the stage, which
   then retries it with its own backoff (the stage reads no header);
4. a 200 whose body is not JSON becomes a payload error, which the stage retries, instead of
   an exception that fails the whole batch.

This module imports neither ray nor any model SDK (aiohttp only inside `Session`): its objects
are shipped to the workers by Ray, pickled by reference, so distil must be installed on the
workers, as it is in the docs' cluster setups.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from distil.kinds import ConstraintSet
from distil.types import Document

# Sampling options of an OpenAI request body that vLLM's SamplingParams take under the same name.
VLLM_SAMPLING = ("temperature", "top_p", "top_k", "max_tokens", "seed", "stop", "n",
                 "presence_penalty", "frequency_penalty", "repetition_penalty", "min_p")
ERROR_COLUMNS = ("__inference_error__", "__error__")  # where Ray marks a row that failed


def plain(value: Any) -> Any:
    """A value as JSON has it: Arrow hands lists back as numpy arrays and numbers as numpy
    scalars."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class Prepare:
    """preprocess: a round's row -> the processor's input columns."""

    def __init__(self, processor: str) -> None:
        self.processor = processor

    def __call__(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"i": row["i"], "doc": row["doc"], "judge": row["judge"],
                               "sent_at": time.time()}
        if self.processor == "http":
            out["payload"] = {"body": row["body"]}  # see `Session`, point 2
        else:
            body = json.loads(row["body"])
            out["messages"] = body["messages"]
            out["sampling_params"] = {k: body[k] for k in VLLM_SAMPLING if k in body}
        return out


class Judge:
    """postprocess: the processor's output row -> the answer, and its verdicts when this
    worker could judge it (the recipe's constraints; a document with constraints of its own is
    judged on the driver)."""

    def __init__(self, processor: str, constraints: ConstraintSet | None,
                 postprocess: Callable[[str], str] | None) -> None:
        self.processor = processor
        self.constraints = constraints
        self.postprocess = postprocess
        # the names the driver's registry gave the plugin classes (a verdict is named after
        # its constraint): a worker imports the classes, it does not register them
        self.names = plugin_names(constraints) if constraints is not None else []

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for cls, name in self.names:
            if not cls.__dict__.get("plugin_name"):
                cls.plugin_name = name

    def __call__(self, row: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.answer(row)
        verdicts = ""
        text = answer.get("text")
        if (self.constraints is not None and row.get("judge") and answer.get("error") is None
                and not (answer.get("finish_reason") == "content_filter" and not text)):
            text = text or ""
            if self.postprocess is not None:
                text = self.postprocess(text)
            doc = Document(**json.loads(row["doc"]))
            try:
                verdicts = json.dumps([v.to_dict() for v in self.constraints.check(text, doc)],
                                      ensure_ascii=False)
            except Exception:  # a check that cannot run here runs again on the driver
                verdicts = ""
        latency = time.time() - float(row["sent_at"]) if row.get("sent_at") else 0.0
        return {"i": int(row["i"]), "answer": json.dumps(answer, ensure_ascii=False),
                "verdicts": verdicts, "latency": latency}

    def answer(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """{text, finish_reason, prompt_tokens, completion_tokens, model} or {error}."""
        for column in ERROR_COLUMNS:
            if row.get(column):
                return {"error": f"the Ray pass failed this request: {_short(row[column])}"}
        if self.processor == "http":
            return http_answer(plain(row.get("http_response")))
        return {"text": row.get("generated_text"),
                "finish_reason": row.get("finish_reason") or "stop",
                "prompt_tokens": int(row.get("num_input_tokens") or 0),
                "completion_tokens": int(row.get("num_generated_tokens") or 0), "model": None}


def plugin_names(value: Any) -> list[tuple[type, str]]:
    """(class, registered name) of every plugin object in `value`, nested ones included
    (`all_of` holds constraints of its own)."""
    from distil.kinds.base import Plugin

    found: dict[type, str] = {}
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, Plugin):
            found.setdefault(type(item), type(item).plugin_name)
            todo.extend(getattr(item, name) for name in type(item).model_fields)
        elif isinstance(item, (list, tuple, ConstraintSet)):
            todo.extend(item)
        elif isinstance(item, Mapping):
            todo.extend(item.values())
    return [(cls, name) for cls, name in found.items() if name]


def http_answer(body: Any) -> dict[str, Any]:
    """The first choice of a chat.completion body, or the error the server answered with (Ray's
    HTTP stage hands back the JSON of any answer it does not retry itself, a 500 or a 400)."""
    if not isinstance(body, Mapping):
        return {"error": "malformed response: the body is not a JSON object"}
    choices = body.get("choices")
    if not choices:
        error = body.get("error")
        if isinstance(error, Mapping):
            kind = error.get("type") or error.get("code") or "error"
            return {"error": f"{kind}: {_short(error.get('message') or '')}"}
        return {"error": "malformed response: no choices in the response"}
    choice = sorted(choices, key=lambda c: c.get("index") or 0)[0]
    usage = body.get("usage") or {}
    return {"text": (choice.get("message") or {}).get("content"),
            "finish_reason": choice.get("finish_reason"),
            "prompt_tokens": usage.get("prompt_tokens", 0),
            "completion_tokens": usage.get("completion_tokens", 0),
            "model": body.get("model")}


class Session:
    """The HTTP processor's client session (see the module's docstring)."""

    def __init__(self, timeout: float = 60.0, max_wait: float = 60.0) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))
        self.max_wait = max_wait

    async def __aenter__(self) -> Session:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._session.__aexit__(*exc_info)

    def post(self, url: str, *, headers: Mapping[str, str] | None = None,
             data: Any = None) -> asyncio.Future[Response]:
        body = json.loads(data)["body"]  # the request as distil built it
        return asyncio.ensure_future(self._send(url, dict(headers or {}), body))

    async def _send(self, url: str, headers: dict[str, str], body: str) -> Response:
        response = await self._session.post(url, headers=headers, data=body.encode("utf-8"))
        if response.status in (429, 503):
            wait = retry_after(response.headers)
            if wait:
                await asyncio.sleep(min(wait, self.max_wait))
        return Response(response)


class Response:
    """A response as Ray's HTTP stage reads it: `status`, `reason`, `json()`, `async with`."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self.status = response.status
        self.reason = response.reason

    async def __aenter__(self) -> Response:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self._response.release()

    async def json(self) -> Any:
        import aiohttp

        try:
            return await self._response.json(content_type=None)
        except ValueError as exc:  # a body cut short: the stage retries a payload error
            raise aiohttp.ClientPayloadError(f"malformed response: {exc}") from None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds); None without either."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(0.0, float(lowered[name]) * scale)
        except (KeyError, ValueError):
            continue
    return None


def _short(text: Any, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
