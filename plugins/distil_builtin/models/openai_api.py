"""The `openai` model: chat completions through the official SDK's `AsyncOpenAI`.

Any OpenAI-compatible server works through `base_url`: Azure OpenAI's v1 endpoint
(`https://RESOURCE.openai.azure.com/openai/v1/`), Ollama (`http://localhost:11434/v1`), vLLM,
llama.cpp's server, LM Studio, or the test suite's loopback server. Local servers that want no
key: set `api_key_env: null`.

The SDK's own retries are off (`max_retries=0`): retrying, with backoff that honours
Retry-After, is the engine's job, and two layers of retries would multiply waits and bills.

`transport` picks the HTTP client under the SDK: aiohttp (the default: the SDK's
`DefaultAioHttpClient`, from the `httpx-aiohttp` package), which costs about half the CPU per
request, or httpx (the SDK's own default). Either way the connection pool holds
`max_concurrency` connections when that is set, else the SDK's default pool.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import Field, PrivateAttr

from distil.errors import UsageError
from distil.types import Message
from distil_builtin.models.api import ApiModel
from distil_builtin.models.grammar_fields import SUPPORT as GRAMMAR_SUPPORT
from distil_builtin.models.grammar_fields import GrammarField, place_grammar
from distil_builtin.models.openai_batch import OpenAIBatchMixin

# Sent as the key when `api_key_env` is null: local servers ignore it, the SDK insists on one.
NO_KEY = "not-needed"


class OpenAIModel(OpenAIBatchMixin, ApiModel):
    """OpenAI chat completions (official SDK); any OpenAI-compatible base_url; Batch API."""

    api_key_env: str | None = Field(
        default="OPENAI_API_KEY",
        description="Environment variable holding the API key (null: send no real key).")
    organization: str | None = Field(default=None, description="OpenAI organization id.")
    transport: Literal["httpx", "aiohttp"] = Field(
        default="aiohttp",
        description="HTTP client under the SDK: aiohttp (about half httpx's CPU per request, "
                    "bench/throughput.py --transport), or httpx, the SDK's own default.")
    grammar_field: GrammarField | None = Field(
        default=None,
        description="Where this server takes the `guided` strategy's grammar: `grammar` "
                    "(llama.cpp server), `vllm` (structured_outputs), `response_format` "
                    "(OpenAI, a JSON schema only); null: it takes none.")

    _client: Any = PrivateAttr(default=None)
    _client_loop: Any = PrivateAttr(default=None)

    async def send(self, messages: Sequence[Message], params: dict[str, Any],
                   key: str | None) -> Any:
        client = self._client_for(key or NO_KEY)
        params = place_grammar(self.grammar_field, params)
        kwargs = _split_extra_body(params, client.chat.completions.create)
        return await client.chat.completions.create(
            model=self.model, messages=self.wire_messages(messages), **kwargs)

    def grammar_support(self) -> frozenset[str]:
        return GRAMMAR_SUPPORT[self.grammar_field]

    def _client_for(self, key: str) -> Any:
        """One client per event loop (its connection pool belongs to a loop) and per key."""
        loop = asyncio.get_running_loop()
        client = self._client
        if client is None or self._client_loop is not loop or client.api_key != key:
            try:
                from openai import AsyncOpenAI
            except ImportError:
                raise UsageError("the openai model needs the openai package: "
                                 "pip install 'openai>=1.40'") from None
            client = AsyncOpenAI(api_key=key, base_url=self.base_url,
                                 organization=self.organization, timeout=self.timeout,
                                 max_retries=0, http_client=self._http_client())
            self._client, self._client_loop = client, loop
        return client

    def _http_client(self) -> Any:
        """The SDK's client for `transport`, its pool sized to `max_concurrency` (None: the
        SDK's own default pool)."""
        import httpx
        import openai

        kwargs: dict[str, Any] = {"timeout": self.timeout}
        if self.max_concurrency is not None:
            kwargs["limits"] = httpx.Limits(max_connections=self.max_concurrency,
                                            max_keepalive_connections=self.max_concurrency)
        if self.transport == "httpx":
            return openai.DefaultAsyncHttpxClient(**kwargs)
        try:
            import httpx_aiohttp  # noqa: F401  (the SDK's aiohttp client is built on it)
        except ImportError:
            raise UsageError("transport: aiohttp needs the httpx-aiohttp package: "
                             "pip install httpx-aiohttp (or set transport: httpx)") from None
        if not hasattr(openai, "DefaultAioHttpClient"):
            raise UsageError(f"transport: aiohttp needs an openai package with "
                             f"DefaultAioHttpClient (this is {openai.__version__}): "
                             f"pip install -U openai (or set transport: httpx)")
        return openai.DefaultAioHttpClient(**kwargs)

    async def aclose(self) -> None:
        client, self._client, self._client_loop = self._client, None, None
        if client is not None:
            await client.close()


def _split_extra_body(params: dict[str, Any], create: Callable[..., Any]) -> dict[str, Any]:
    """Send parameters the SDK does not know (`top_k`, `repetition_penalty`, ...) in the body.

    OpenAI-compatible servers (vLLM, llama.cpp, Ollama) accept more sampling options than the
    SDK's signature names; the SDK refuses unknown keyword arguments but forwards `extra_body`.
    """
    known = _keyword_names(create)
    unknown = {k: v for k, v in params.items() if k not in known}
    if not unknown:
        return params
    kwargs = {k: v for k, v in params.items() if k in known}
    kwargs["extra_body"] = {**unknown, **(params.get("extra_body") or {})}
    return kwargs


def _keyword_names(create: Callable[..., Any]) -> frozenset[str]:
    return _signature_names(getattr(create, "__func__", create))


@functools.cache
def _signature_names(function: Callable[..., Any]) -> frozenset[str]:
    return frozenset(inspect.signature(function).parameters)
