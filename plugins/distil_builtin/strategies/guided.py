"""One request decoded under the grammar the document's constraints compile to.

The constraint set compiles (`distil.grammar.compile_constraints`) once per distinct set; the
grammar goes to the model as a per-call param (`grammar`, GBNF text, for a model whose
`grammar_support()` has `gbnf`; `json_schema`, the schema, for one that takes only a JSON
schema, when the set is a single `json_schema` constraint). Being a call param, the grammar is
part of the request's identity in the run store and the response cache. The engine then
checks every constraint after decoding, as for any strategy: the compiled ones should pass by
construction, the others are judged as usual.

A model that takes no grammar this set can use is an error naming the model and the options,
unless the strategy says `fallback: check`: then the request goes out unguided.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, PrivateAttr

from distil.errors import UsageError
from distil.grammar import Compiled, compile_constraints
from distil.kinds import ConstraintSet, Model, Strategy
from distil.kinds.model import GRAMMAR_PARAM, JSON_SCHEMA_PARAM
from distil.kinds.strategy import AttemptFn
from distil.types import Attempt, Document, Message
from distil_builtin.constraints.json_schema import JsonSchema

OPTIONS = ("the `local` model, or `openai` with `grammar_field: grammar | vllm | "
           "response_format`")


class Guided(Strategy):
    """Ask once, with the output forced into the grammar of the compilable constraints."""

    fallback: Literal["error", "check"] = Field(
        default="error",
        description="When the model takes no grammar (or nothing compiles): `error` stops the "
                    "run with a one-line message; `check` sends the request unguided and "
                    "checks the constraints after decoding.")

    _compiled: dict[str, Compiled] = PrivateAttr(default_factory=dict)

    async def solve(self, doc: Document, prompt: Sequence[Message], attempt: AttemptFn,
                    model: Model, constraints: ConstraintSet) -> list[Attempt]:
        return [await attempt(prompt, 0, 0, self.grammar_params(model, constraints))]

    def compiled(self, constraints: ConstraintSet) -> Compiled:
        """The set's compiled grammar, compiled once per distinct set of constraint options."""
        key = json.dumps([[c.plugin_name, c.model_dump(mode="json")] for c in constraints],
                         sort_keys=True, default=str)
        if key not in self._compiled:
            self._compiled[key] = compile_constraints(constraints)
        return self._compiled[key]

    def grammar_params(self, model: Model, constraints: ConstraintSet) -> dict[str, Any] | None:
        """The per-call params that carry the grammar to `model`; None to send unguided."""
        support = model.grammar_support()
        compiled = self.compiled(constraints)
        if compiled.gbnf is None:
            reasons = "; ".join(f"{n}: {why}" for n, why in compiled.skipped) or "no constraints"
            return self._unguided(f"no constraint compiles to a grammar ({reasons})")
        if "gbnf" in support:
            return {GRAMMAR_PARAM: compiled.gbnf}
        schema = _single_schema(constraints)
        if "json_schema" in support and schema is not None:
            return {JSON_SCHEMA_PARAM: schema}
        if "json_schema" in support:
            return self._unguided(f"{model.display_name} takes only a JSON schema, and the "
                                  "constraints are not one json_schema constraint")
        return self._unguided(f"{model.display_name} takes no grammar (use {OPTIONS})")

    def _unguided(self, why: str) -> None:
        if self.fallback == "check":
            return None
        raise UsageError(f"strategy guided: {why}; or set `fallback: check` to send "
                         "unguided requests")


def _single_schema(constraints: ConstraintSet) -> dict[str, Any] | None:
    """The schema when the set is exactly one `json_schema` constraint over the whole output."""
    if len(constraints) != 1:
        return None
    (only,) = constraints
    return only.schema_ if isinstance(only, JsonSchema) and only.line is None else None
