"""What every HTTP API model shares: its options, its key handling, its requests and Completions.

The `openai` and `litellm` plugins differ only in the client they call (`send`); the options a
recipe writes (`base_url`, `api_key_env`, `timeout`, `rpm`, `tpm`, `prices`, ...), the request
around the call (parameters, `n`, timing, errors made distil's, the response read into
Completions) and the rules around them live here once.

The API key is never an option. A recipe names the environment variable that holds it
(`api_key_env`), and the value is read from the environment at call time, so it is in no
field, dump, repr, log line or run directory.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from distil.chat_params import API_PARAMS
from distil.errors import ModelError
from distil.kinds import Model
from distil.secrets import check_env_name, read_key
from distil.types import Completion, Message, Usage
from distil_builtin.models.failures import malformed, to_model_error
from distil_builtin.models.pricing import Prices, cost_of, rates_for

class ApiModel(Model, abc.ABC):
    """A chat model behind an HTTP API (abstract: see `openai` and `litellm`)."""

    # A mistyped option must not echo its value into an error: it might be a key.
    model_config = ConfigDict(hide_input_in_errors=True)

    model: str = Field(min_length=1, description="The provider's model id.")
    base_url: str | None = Field(
        default=None, description="API base URL (Azure OpenAI, Ollama, vLLM, LM Studio, ...).")
    api_key_env: str | None = Field(
        default=None, description="Name of the environment variable holding the API key.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for one request.")
    prices: Prices | None = Field(
        default=None, description="Price override: {input_per_million, output_per_million} USD.")

    @field_validator("api_key_env")
    @classmethod
    def _names_a_variable(cls, value: str | None) -> str | None:
        return check_env_name(value)

    # -- requests -----------------------------------------------------------------------------
    async def complete(self, messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion:
        return (await self._request(messages, self.request_params(params)))[0]

    async def complete_n(self, messages: Sequence[Message], n: int,
                         params: Mapping[str, Any] | None = None) -> list[Completion]:
        return await self._request(messages, {**self.request_params(params), "n": n})

    @abc.abstractmethod
    async def send(self, messages: Sequence[Message], params: dict[str, Any],
                   key: str | None) -> Any:
        """One chat completion request through the provider's client; its response object
        (OpenAI's shape: `choices`, `usage`, `model`). The client's exceptions pass through."""

    async def _request(self, messages: Sequence[Message],
                       params: dict[str, Any]) -> list[Completion]:
        """One request; a Completion per choice (usage shared out). A client's exception
        becomes distil's ModelError or TransientModelError, with the key scrubbed from it."""
        key = self.read_api_key()
        started = time.perf_counter()
        try:
            response = await self.send(messages, params, key)
        except Exception as exc:
            error = to_model_error(exc, who=self.display_name, timeout=self.timeout, secret=key)
            if error is None:
                raise
            raise error from None  # the client's chain holds request objects; keep it out
        latency = time.perf_counter() - started
        choices = getattr(response, "choices", None)
        if not choices:  # the OpenAI SDK hands back text when a body is not JSON
            raise malformed(self.display_name, "no choices in the response")
        usage = getattr(response, "usage", None)
        return self.build_choices(
            [(getattr(getattr(c, "message", None), "content", None),
              getattr(c, "finish_reason", None))
             for c in sorted(choices, key=lambda c: getattr(c, "index", 0) or 0)],
            prompt_tokens=getattr(usage, "prompt_tokens", 0),
            completion_tokens=getattr(usage, "completion_tokens", 0),
            response_model=getattr(response, "model", None),
            latency=latency,
            raw=raw_response(response),
        )

    def accepted_params(self) -> frozenset[str]:
        """OpenAI's chat parameters; others go under `extra_body` (see distil.chat_params)."""
        return API_PARAMS

    # -- for subclasses -----------------------------------------------------------------------
    def read_api_key(self) -> str | None:
        """The key from `api_key_env`, read now; None when no variable is configured."""
        return read_key(self.api_key_env, self.display_name)

    def request_params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """The recipe's params overridden by the call's, without distil's reserved `_` keys."""
        merged = {**self.params, **(params or {})}
        return {k: v for k, v in merged.items() if not k.startswith("_")}

    @staticmethod
    def wire_messages(messages: Sequence[Message]) -> list[dict[str, str]]:
        return [m.to_dict() for m in messages]

    def build_completion(self, *, text: str | None, finish_reason: str | None,
                         prompt_tokens: Any, completion_tokens: Any,
                         response_model: str | None, latency: float,
                         raw: Mapping[str, Any] | None) -> Completion:
        """A Completion priced from usage; an empty or cut-off answer is returned, not raised.

        Only a content filter that withheld everything is a failure: there is nothing to judge
        and asking again will not change the provider's mind.
        """
        if finish_reason == "content_filter" and not text:
            raise ModelError(f"{self.display_name}: the provider's content filter withheld "
                             "the output")
        usage = Usage(_count(prompt_tokens), _count(completion_tokens))
        cost = cost_of(usage, self.model, self.prices, fallback_model=response_model)
        return Completion(text=text or "", usage=usage, cost=cost, latency=latency,
                          finish_reason=finish_reason, model=response_model or self.model,
                          raw=raw)

    def build_choices(self, choices: Sequence[tuple[str | None, str | None]], *,
                      prompt_tokens: Any, completion_tokens: Any, response_model: str | None,
                      latency: float, raw: Mapping[str, Any] | None) -> list[Completion]:
        """One Completion per `(text, finish_reason)` choice of a single response.

        The response reports usage for the whole request, so it is shared out: the prompt,
        paid once, goes to the first candidate; the output tokens go in proportion to each
        candidate's length (the largest remainders get the odd tokens). The candidates' costs
        then add up to what the request cost. A content-filtered choice with no text is
        dropped; if every choice was, that is the failure `build_completion` raises.
        """
        kept = [(t, f) for t, f in choices if not (f == "content_filter" and not t)]
        if not kept:
            kept = list(choices[:1])  # raises below, naming the content filter
        shares = share_tokens(_count(completion_tokens), [len(t or "") for t, _ in kept])
        return [
            self.build_completion(
                text=text, finish_reason=finish, prompt_tokens=_count(prompt_tokens) if i == 0
                else 0, completion_tokens=share, response_model=response_model,
                latency=latency, raw=raw if i == 0 else None)
            for i, ((text, finish), share) in enumerate(zip(kept, shares))
        ]

    def supports_n(self) -> bool:
        return True

    def estimate_cost(self, messages: Sequence[Message],
                      params: Mapping[str, Any] | None = None) -> float | None:
        """An upper-ish estimate for `--max-cost`: ~4 characters per prompt token, and each of
        the `n` answers at its `max_tokens` cap (1,024 tokens when no cap is set)."""
        from distil.engine.limits import estimate_tokens

        rates = rates_for(self.model, self.prices)
        if rates is None:
            return None
        sent = self.request_params(params)
        cap = int(sent.get("max_tokens") or 1024) * int(sent.get("n") or 1)
        prompt = estimate_tokens(messages, 0)
        return rates.cost(Usage(prompt, cap))

    def cache_identity(self) -> Mapping[str, Any]:
        # A different server may answer differently; the key is not part of the identity.
        return {"plugin": self.plugin_name, "model": self.model, "base_url": self.base_url}


def raw_response(response: Any) -> Mapping[str, Any] | None:
    """The response as JSON, kept for debugging only: a good answer never fails over it."""
    try:
        return response.model_dump(mode="json", exclude_unset=True)
    except Exception:
        return None


def share_tokens(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (evenly when all are 0), summing to `total`."""
    if not weights:
        return []
    if not any(weights):
        weights = [1] * len(weights)
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: shares[i] - exact[i])
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
