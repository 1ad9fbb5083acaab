"""The `litellm` model: every other provider through `litellm.acompletion`.

`model` is litellm's provider string: `anthropic/claude-sonnet-4-5`, `gemini/gemini-2.5-flash`,
`bedrock/...`, `mistral/...`, or `openai/<id>` with `base_url` for any OpenAI-compatible server.
litellm finds each provider's key in that provider's usual variable (ANTHROPIC_API_KEY, ...);
set `api_key_env` only to read the key from another variable.

litellm is imported on the first request, never before: it takes seconds to import. Before
that, `LITELLM_LOCAL_MODEL_COST_MAP` is set so it reads its bundled price map instead of
fetching one from the internet. Its retries are off (`num_retries=0`): retrying is the engine's.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from distil.errors import UsageError
from distil.types import Completion, Message
from distil_builtin.models.api import ApiModel
from distil_builtin.models.failures import malformed, to_model_error


class LiteLLMModel(ApiModel):
    """Any litellm provider (Anthropic, Gemini, Bedrock, Mistral, ...) via acompletion."""

    api_key_env: str | None = Field(
        default=None,
        description="Environment variable holding the API key (default: the provider's own).")

    async def complete(self, messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion:
        return (await self._request(messages, self.request_params(params)))[0]

    async def complete_n(self, messages: Sequence[Message], n: int,
                         params: Mapping[str, Any] | None = None) -> list[Completion]:
        return await self._request(messages, {**self.request_params(params), "n": n})

    def supports_n(self) -> bool:
        """Whether litellm sends `n` to this provider (Anthropic, for one, has no `n`)."""
        return _provider_takes_n(self.model)

    async def _request(self, messages: Sequence[Message],
                       params: dict[str, Any]) -> list[Completion]:
        """One `acompletion` call; a Completion per choice (usage shared out)."""
        litellm = load_litellm()
        key = self.read_api_key()
        extra: dict[str, Any] = {}
        if self.base_url is not None:
            extra["api_base"] = self.base_url
        if key is not None:
            extra["api_key"] = key
        started = time.perf_counter()
        try:
            response = await litellm.acompletion(
                model=self.model, messages=self.wire_messages(messages), timeout=self.timeout,
                num_retries=0, **extra, **params)
        except Exception as exc:
            error = to_model_error(exc, who=self.display_name, timeout=self.timeout, secret=key)
            if error is None:
                raise
            raise error from None
        latency = time.perf_counter() - started
        choices = getattr(response, "choices", None)
        if not choices:
            raise malformed(self.display_name, "no choices in the response")
        usage = getattr(response, "usage", None)
        return self.build_choices(
            [(getattr(getattr(c, "message", None), "content", None),
              getattr(c, "finish_reason", None)) for c in choices],
            prompt_tokens=getattr(usage, "prompt_tokens", 0),
            completion_tokens=getattr(usage, "completion_tokens", 0),
            response_model=getattr(response, "model", None),
            latency=latency,
            raw=_raw(response),
        )


@functools.cache
def _provider_takes_n(model: str) -> bool:
    litellm = load_litellm()
    try:
        return "n" in (litellm.get_supported_openai_params(model=model) or ())
    except Exception:  # an unknown provider string: ask one candidate per request
        return False


@functools.cache
def load_litellm() -> Any:
    """Import litellm once, offline and quiet."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
    except ImportError:
        raise UsageError("the litellm model needs the litellm package: "
                         "pip install 'litellm>=1.83.0,<1.107'") from None
    litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners on stdout
    return litellm


def _raw(response: Any) -> Mapping[str, Any] | None:
    try:
        return response.model_dump(mode="json")
    except Exception:  # raw is for debugging only; never fail a good answer over it
        return None
