"""The request parameters of OpenAI's Chat Completions API, in one place.

A misspelt parameter (`temprature`) is the kind of mistake a provider ignores in silence or
refuses only once money is being spent, so `distil validate` checks a model's `params` against
this list and suggests the nearest name. Parameters that a server accepts but OpenAI does not
(vLLM's `top_k`, `repetition_penalty`, ...) go under `extra_body`, which the OpenAI SDK sends
into the request body unchanged; `extra_headers` and `extra_query` pass through the same way.

`messages` and `model` are distil's to set, and `stream`/`stream_options` would change what a
request returns, so none of them is a recipe parameter.
"""

from __future__ import annotations

from collections.abc import Collection

from distil.errors import did_you_mean

OPENAI_CHAT_PARAMS = frozenset({
    "audio",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "max_completion_tokens",
    "max_tokens",
    "metadata",
    "modalities",
    "n",
    "parallel_tool_calls",
    "prediction",
    "presence_penalty",
    "prompt_cache_key",
    "reasoning_effort",
    "response_format",
    "safety_identifier",
    "seed",
    "service_tier",
    "stop",
    "store",
    "temperature",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "user",
    "verbosity",
    "web_search_options",
})
PASS_THROUGH = frozenset({"extra_body", "extra_headers", "extra_query"})
API_PARAMS = OPENAI_CHAT_PARAMS | PASS_THROUGH


def unknown_param(name: str, known: Collection[str]) -> str | None:
    """Why `name` is not a request parameter of a model that accepts `known`, or None."""
    if name in known or name.startswith("_"):  # `_x` keys are distil's own, never sent
        return None
    message = f"unknown request parameter {name!r}"
    hint = did_you_mean(name, known)
    if hint:
        message += f"; {hint}"
    if PASS_THROUGH <= set(known):
        message += " (put a server's own parameters under `extra_body`)"
    return message
