"""json_schema: the output must be JSON that validates against a JSON Schema.

The whole output (surrounding whitespace aside) must parse as JSON; with `allow_fence: true` it
may instead be one Markdown code fence (```json ... ``` or ``` ... ```) holding the JSON. The
schema is given inline (`schema:`) or read from `schema_file:` (JSON, or YAML for .yaml/.yml;
a relative path is taken from the validation context's `base_dir` when the loader supplies one,
else from the working directory). The schema is checked when the recipe loads, and `format`
keywords (email, date, ...) are enforced where jsonschema can check them.

Feedback names the most relevant error (jsonschema's `best_match`) and its JSON path, e.g.
`$.items[2].price`. Distance is the number of schema errors (1 when the output is not JSON).

With `line: N` (1-based, counting non-empty lines) or `line: last`, the schema applies to that
one line of the output, which must hold the JSON on its own; the other lines are free (a
headline, then a JSON line of tags). The grammar is then the other lines as plain text and that
line as the schema's JSON, kept on one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

import regex
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from distil.kinds import Constraint
from distil.text.lines import non_empty_lines
from distil.types import Document, Verdict
from distil.validation_context import context_base_dir

_FENCE = regex.compile(r"\A\s*```[ \t]*(?:json)?[ \t]*\r?\n(.*?)\r?\n?```\s*\Z",
                       regex.DOTALL | regex.IGNORECASE)
_MESSAGE_LIMIT = 160


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…"


class JsonSchema(Constraint):
    """The output parses as JSON (optionally in a ```json fence) and validates against a schema."""

    schema_: dict[str, Any] | None = Field(
        default=None, alias="schema", description="The JSON Schema, inline (a mapping).")
    schema_file: str | None = Field(
        default=None, description="Path of a JSON (or YAML) file holding the schema.")
    allow_fence: bool = Field(
        default=False, description="Also accept the JSON inside one ```json code fence.")
    line: int | Literal["last"] | None = Field(
        default=None,
        description="Apply the schema to one line of the output: its number among the "
                    "non-empty lines (1 is the first) or `last`; the other lines are free.")

    model_config = {"populate_by_name": True}

    default_feedback: ClassVar[dict[str, str]] = {
        "not_json": "Reply with valid JSON only{% if allow_fence %} (a ```json fence is "
                    "allowed){% endif %}: {{ error }}.",
        "schema": "Fix the JSON at {{ path }}: {{ error }}.",
        "no_line": "Put the JSON on {% if line == 'last' %}the last line{% else %}line "
                   "{{ line }}{% endif %}: the text has only {{ found }} non-empty "
                   "{{ 'line' if found == 1 else 'lines' }}.",
    }

    _validator: Any = PrivateAttr(default=None)

    @field_validator("schema_file")
    @classmethod
    def _absolute(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        path = Path(value).expanduser()
        base = context_base_dir(info)
        if not path.is_absolute() and base is not None:
            path = base / path
        return str(path)

    @model_validator(mode="after")
    def _one_schema(self):
        if (self.schema_ is None) == (self.schema_file is None):
            raise ValueError("give exactly one of `schema` and `schema_file`")
        if self.line is not None and self.allow_fence:
            raise ValueError("`line` and `allow_fence` do not go together: a fence spans "
                             "several lines")
        if isinstance(self.line, int) and self.line < 1:
            raise ValueError("`line` counts from 1 (or write `last`)")
        if self.schema_file is not None:
            self.schema_ = _read_schema(Path(self.schema_file))
        _validator_for(self.schema_)  # raises ValueError on a schema that is itself invalid
        return self

    def grammar(self):
        """The schema as GBNF, by llama-cpp-python's converter (imported here, on use)."""
        from distil.grammar import NotCompilable, Whole

        try:
            from llama_cpp.llama_grammar import json_schema_to_gbnf
        except ImportError:
            raise NotCompilable("needs llama-cpp-python to convert the schema "
                                "(pip install 'distil[local]')") from None
        try:
            gbnf = json_schema_to_gbnf(json.dumps(self.schema_))
        except Exception as exc:  # the converter refuses keywords it does not know
            raise NotCompilable(f"llama-cpp-python cannot convert the schema: {exc}") from None
        if self.line is None:
            return Whole("json_schema", gbnf=gbnf)
        from distil_builtin.constraints.json_line import one_line_of

        return Whole("json_schema", gbnf=one_line_of(gbnf, self.line))

    def check(self, output: str, doc: Document | None = None) -> Verdict:
        text = output
        fenced = False
        if self.line is not None:
            lines = non_empty_lines(output)
            index = len(lines) - 1 if self.line == "last" else self.line - 1
            if not 0 <= index < len(lines):
                measured = {"valid_json": False, "fenced": False, "errors": 1,
                            "error": "no such line", "path": None, "line": self.line,
                            "lines": len(lines)}
                return self.verdict(passed=False, measured=measured, distance=1,
                                    feedback_key="no_line", line=self.line, found=len(lines))
            text = lines[index]
        if self.allow_fence:
            m = _FENCE.match(output)
            if m:
                text, fenced = m.group(1), True
        try:
            data = json.loads(text)
        except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError-like oddities
            measured = {"valid_json": False, "fenced": fenced, "errors": 1,
                        "error": _short(str(exc)), "path": None}
            return self.verdict(passed=False, measured=measured, distance=1,
                                feedback_key="not_json", allow_fence=self.allow_fence)
        if self._validator is None:
            self._validator = _validator_for(self.schema_)
        from jsonschema.exceptions import best_match

        errors = list(self._validator.iter_errors(data))
        if not errors:
            measured = {"valid_json": True, "fenced": fenced, "errors": 0}
            return self.verdict(passed=True, measured=measured)
        best = best_match(errors)
        measured = {"valid_json": True, "fenced": fenced, "errors": len(errors),
                    "error": _short(best.message), "path": best.json_path}
        return self.verdict(passed=False, measured=measured, distance=len(errors),
                            feedback_key="schema")


def _read_schema(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read schema_file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):  # with the recipe loader's limits
            from distil.recipe.yaml_source import load_yaml_text

            data = load_yaml_text(raw, str(path)).data
        else:
            data = json.loads(raw)
    except Exception as exc:
        raise ValueError(f"schema_file {str(path)!r} does not parse: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"schema_file {str(path)!r} must hold a mapping (a JSON object)")
    return data


def _validator_for(schema: dict[str, Any]) -> Any:
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        where = exc.json_path if hasattr(exc, "json_path") else ""
        raise ValueError(f"invalid JSON Schema at {where}: {_short(exc.message)}") from None
    return cls(schema, format_checker=cls.FORMAT_CHECKER)
