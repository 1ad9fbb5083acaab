"""Model: a chat completion endpoint."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field

from distil.kinds.base import Plugin
from distil.types import Completion, Message


# Reserved per-call parameter carrying the document id, for models that set `wants_doc_id`.
DOC_ID_PARAM = "_doc_id"
# Per-call parameters the `guided` strategy sends to a model whose `grammar_support()` names
# the kind: a GBNF grammar text, or a JSON schema (a mapping).
GRAMMAR_PARAM = "grammar"
JSON_SCHEMA_PARAM = "json_schema"


class Model(Plugin, abc.ABC):
    """Something that answers chat messages.

    `model` is the provider's model id (for `local`, a shipped model name or a GGUF path).
    `params` are request parameters (temperature, max_tokens, seed, ...) sent with every call;
    per-call params passed to `complete` override them.
    """

    wants_doc_id: ClassVar[bool] = False  # True: the engine passes params[DOC_ID_PARAM]
    cacheable: ClassVar[bool] = True  # False: answers are free or stateful; never cache them

    model: str = Field(default="", description="The provider's model id.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Request parameters sent with every call."
    )
    max_concurrency: int | None = Field(
        default=None, ge=1, description="Most requests in flight at once for this model."
    )
    rpm: int | None = Field(default=None, ge=1, description="Requests per minute, at most.")
    tpm: int | None = Field(default=None, ge=1, description="Tokens per minute, at most "
                                                           "(estimated before, settled after).")
    retries: int = Field(default=4, ge=0, description="Retries of a transient failure (429, "
                                                      "5xx, timeout, dropped connection).")
    retry_base_delay: float = Field(default=1.0, ge=0, description="Seconds; the n-th retry "
                                    "waits a random time up to base * 2**n, or Retry-After.")

    @property
    def display_name(self) -> str:
        return f"{self.plugin_name}/{self.model}" if self.model else self.plugin_name

    @abc.abstractmethod
    async def complete(self, messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion:
        """Answer `messages`; raise `distil.errors.ModelError` on a failure that retrying won't fix."""

    async def load(self) -> None:
        """Get ready to answer (load weights, open a client). The engine awaits it before a
        stage's first request and times it, so a model's load is reported as a figure of its
        own and never counted in per-request latency. Default: nothing to load."""

    def supports_n(self) -> bool:
        """True when one request can return several candidates (the API's `n`)."""
        return False

    async def complete_n(self, messages: Sequence[Message], n: int,
                         params: Mapping[str, Any] | None = None) -> list[Completion]:
        """Up to `n` candidates from one request; only called when `supports_n()`.

        May return fewer than asked (some OpenAI-compatible servers ignore `n`); the engine
        asks for the rest one by one. Usage and cost are split across the candidates so that
        their sum is what the request cost: the prompt on the first, the output in proportion
        to each candidate's length.
        """
        raise NotImplementedError(f"{self.display_name} does not answer with several choices")

    def grammar_support(self) -> frozenset[str]:
        """How this model can be steered while it decodes, for the `guided` strategy:
        `"gbnf"` (a GBNF grammar text in the call param `grammar`), `"json_schema"` (a JSON
        schema in the call param `json_schema`). Default: none; a model that supports a kind
        maps the param to its own request field."""
        return frozenset()

    def accepted_params(self) -> frozenset[str] | None:
        """The request parameter names this model takes, for `distil validate` to check a
        recipe's `params` against; None (the default) when it passes any name through."""
        return None

    def estimate_cost(self, messages: Sequence[Message],
                      params: Mapping[str, Any] | None = None) -> float | None:
        """Upper estimate in USD of one request, for `--max-cost`; None when unknown."""
        return None

    def cache_identity(self) -> Mapping[str, Any]:
        """What identifies this model's answers for the response cache."""
        return {"plugin": self.plugin_name, "model": self.model}

    async def aclose(self) -> None:
        """Release clients, files and threads. Called once when the run ends."""
