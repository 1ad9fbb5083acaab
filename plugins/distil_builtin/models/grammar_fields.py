"""Where an OpenAI-compatible server takes a grammar: the `openai` model's `grammar_field`.

The `guided` strategy sends a compiled grammar as a per-call param (`grammar`: GBNF text, or
`json_schema`: a schema mapping; see `distil.kinds.model`). Servers spell the field each their
own way, so the model moves the param to the field its `grammar_field` names:

- `grammar`: llama.cpp's server, `{"grammar": GBNF}` in the body;
- `vllm`: vLLM's structured outputs, `{"structured_outputs": {"grammar": GBNF}}` in the body;
- `response_format`: OpenAI's structured outputs, a JSON schema only,
  `response_format={"type": "json_schema", "json_schema": {...}}`.

The body fields go through the SDK's `extra_body`, which it forwards as they are.
"""

from __future__ import annotations

from typing import Any, Literal

from distil.kinds.model import GRAMMAR_PARAM, JSON_SCHEMA_PARAM

GrammarField = Literal["grammar", "vllm", "response_format"]

SUPPORT: dict[str | None, frozenset[str]] = {
    None: frozenset(),
    "grammar": frozenset({"gbnf"}),
    "vllm": frozenset({"gbnf"}),
    "response_format": frozenset({"json_schema"}),
}


def place_grammar(field: GrammarField | None, params: dict[str, Any]) -> dict[str, Any]:
    """`params` with the guided strategy's grammar param moved to `field`'s place (unchanged
    when `field` is None: a `grammar` param then reaches the body as any unknown param)."""
    if field is None or (GRAMMAR_PARAM not in params and JSON_SCHEMA_PARAM not in params):
        return params
    out = dict(params)
    gbnf = out.pop(GRAMMAR_PARAM, None)
    schema = out.pop(JSON_SCHEMA_PARAM, None)
    extra = dict(out.get("extra_body") or {})
    if field == "grammar" and gbnf is not None:
        extra["grammar"] = gbnf
    elif field == "vllm" and gbnf is not None:
        extra["structured_outputs"] = {"grammar": gbnf}
    elif field == "response_format" and schema is not None:
        out["response_format"] = {"type": "json_schema",
                                  "json_schema": {"name": "output", "schema": schema,
                                                  "strict": True}}
    if extra:
        out["extra_body"] = extra
    return out
