"""Rendering a recipe's prompt templates for one document."""

from __future__ import annotations

from typing import Any

from distil.recipe.models import PromptSpec
from distil.templating import TemplateRenderError, render
from distil.types import Document, Message


def template_context(doc: Document, variables: dict[str, Any]) -> dict[str, Any]:
    """What templates see: `doc` (id, text, fields, and each field by name) plus `vars`."""
    fields = dict(doc.fields)
    doc_view = {**fields, "id": doc.id, "text": doc.text, "fields": fields}
    return {**variables, "doc": doc_view, "vars": variables}


def _render(template: str, ctx: dict[str, Any]) -> str:
    # A template without a `{` has nothing for Jinja to do (system prompts often are plain
    # text); skipping it saves a render per document on the engine's hot path.
    return (render(template, ctx) if "{" in template else template).strip()


def render_prompt(spec: PromptSpec, doc: Document) -> tuple[Message, ...]:
    """The system and user turns for `doc`. A template that fails raises TemplateRenderError
    with `field` set to the prompt key ("system" or "user") whose template it was."""
    ctx = template_context(doc, spec.vars)
    messages: list[Message] = []
    for role, template in (("system", spec.system), ("user", spec.user)):
        if not template:
            continue
        try:
            messages.append(Message(role, _render(template, ctx)))
        except TemplateRenderError as exc:
            exc.field = role
            raise
    return tuple(messages)
