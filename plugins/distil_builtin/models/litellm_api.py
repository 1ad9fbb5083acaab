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
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from distil.errors import UsageError
from distil.types import Message
from distil_builtin.models.api import ApiModel


class LiteLLMModel(ApiModel):
    """Any litellm provider (Anthropic, Gemini, Bedrock, Mistral, ...) via acompletion."""

    api_key_env: str | None = Field(
        default=None,
        description="Environment variable holding the API key (default: the provider's own).")

    def supports_n(self) -> bool:
        """Whether litellm sends `n` to this provider (Anthropic, for one, has no `n`)."""
        return _provider_takes_n(self.model)

    async def send(self, messages: Sequence[Message], params: dict[str, Any],
                   key: str | None) -> Any:
        litellm = load_litellm()
        extra: dict[str, Any] = {}
        if self.base_url is not None:
            extra["api_base"] = self.base_url
        if key is not None:
            extra["api_key"] = key
        return await litellm.acompletion(
            model=self.model, messages=self.wire_messages(messages), timeout=self.timeout,
            num_retries=0, **extra, **params)


@functools.cache
def _provider_takes_n(model: str) -> bool:
    litellm = load_litellm()
    try:
        return "n" in (litellm.get_supported_openai_params(model=model) or ())
    except Exception:  # an unknown provider string: ask one candidate per request
        return False


def load_litellm(needed_by: str = "the litellm model") -> Any:
    """Import litellm (once: Python caches it), offline and quiet; the `litellm` model and
    trainer both load it here. `needed_by` names who asked, for the missing-package error."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
    except ImportError:
        raise UsageError(f"{needed_by} needs the litellm package: "
                         "pip install 'litellm>=1.83.0,<1.107'") from None
    litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners on stdout
    return litellm

