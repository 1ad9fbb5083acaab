"""Constraint: checks one output and says how far it is from acceptable."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from typing import ClassVar

from pydantic import Field, field_validator

from distil.kinds.base import Plugin
from distil.templating import render_feedback
from distil.types import Document, Verdict


class Constraint(Plugin, abc.ABC):
    """Check one output against one rule.

    Subclasses declare their options as pydantic fields and implement `check`. A failing
    verdict carries one feedback sentence for the model; the default wording comes from the
    subclass's `default_feedback` templates, and a recipe may override any of them with
    `feedback: {key: template}` (Jinja2, rendered in a sandbox with the verdict's figures).
    """

    feedback: dict[str, str] = Field(
        default_factory=dict,
        description="Override feedback sentences by key (Jinja2 templates; see each constraint).",
    )
    label: str | None = Field(
        default=None, description="Name shown in reports instead of the plugin name."
    )

    default_feedback: ClassVar[dict[str, str]] = {}  # class-level defaults, keyed like `feedback`

    @field_validator("feedback")
    @classmethod
    def _known_feedback_keys(cls, value: dict[str, str]) -> dict[str, str]:
        known = set(cls.default_feedback)
        unknown = sorted(set(value) - known) if known else []
        if unknown:
            raise ValueError(f"unknown feedback key {unknown[0]!r}; this constraint uses "
                             f"{', '.join(sorted(known))}")
        return value

    @property
    def name(self) -> str:
        return self.label or self.plugin_name or type(self).__name__

    @abc.abstractmethod
    def check(self, output: str, doc: Document | None = None) -> Verdict:
        """Judge `output` (for `doc`, when the rule depends on the document)."""

    def grammar(self):
        """The language of outputs this constraint accepts, as a `distil.grammar` piece
        (`Lines`, `Length`, `Whole`), for decoders that take a grammar; None when it has none.

        Raise `distil.grammar.NotCompilable("why")` when the options rule a grammar out (a unit
        the grammar cannot count). Whatever compiles, `check` still judges every output.
        """
        return None

    # -- helpers for subclasses -------------------------------------------------------------
    def say(self, key: str, **values: object) -> str:
        """Render the feedback sentence `key` with `values` (recipe overrides win)."""
        template = self.feedback.get(key) or type(self).default_feedback.get(key)
        if template is None:
            raise KeyError(f"{self.name}: no feedback template {key!r}")
        return render_feedback(template, values)

    def verdict(self, *, passed: bool, measured: dict, distance: float = 0.0,
                feedback_key: str | None = None, **values: object) -> Verdict:
        """Build a Verdict, rendering feedback only when it failed.

        `distance` is always a float (0.0 on a pass, 1.0 for a failure without a direction),
        whatever type the subclass computed it in, so JSON readers see one type.
        """
        if passed:
            return Verdict(self.name, True, measured, 0.0, None)
        text = self.say(feedback_key or "failed", **{**measured, **values})
        return Verdict(self.name, False, measured, float(distance) if distance else 1.0, text)


class ConstraintSet:
    """An ordered group of constraints checked together."""

    def __init__(self, constraints: Iterable[Constraint]) -> None:
        self.constraints: tuple[Constraint, ...] = tuple(constraints)

    def __iter__(self):
        return iter(self.constraints)

    def __len__(self) -> int:
        return len(self.constraints)

    def check(self, output: str, doc: Document | None = None) -> tuple[Verdict, ...]:
        return tuple(c.check(output, doc) for c in self.constraints)

    @staticmethod
    def feedback_message(verdicts: Sequence[Verdict]) -> str:
        """The user turn a refine loop sends back: every failed verdict's sentence."""
        return "\n".join(v.feedback for v in verdicts if not v.passed and v.feedback)
