"""all_of: several constraints that count as one.

Useful where a list of checks must travel as one item: a document's own constraints, a judge
that takes a single constraint, or a report that should show one row for a group. Children are
written like recipe constraints (`name` or `{name: {options}}`) and built with the validation
context `all_of` itself is validated with: the recipe's plugin host and folder, so third-party
constraints and relative paths (a child's `schema_file`) work inside it as at the top level.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from distil.kinds import Constraint
from distil.plugins import build_constraint
from distil.types import Document, Verdict


class AllOf(Constraint):
    """Passes when every listed constraint passes; feedback joins the failing ones'."""

    constraints: list[Constraint] = Field(
        min_length=1,
        description="Constraint specs, each `name` or `{name: {options}}`, as in a recipe.")

    default_feedback: ClassVar[dict[str, str]] = {
        "failed": "{{ feedback }}",
    }

    @field_validator("constraints", mode="before")
    @classmethod
    def _build(cls, specs: Any, info: ValidationInfo) -> Any:
        if not isinstance(specs, list):
            return specs  # pydantic reports the wrong type
        built = []
        for i, spec in enumerate(specs):
            if isinstance(spec, Constraint):
                built.append(spec)
                continue
            try:
                built.append(build_constraint(spec, info.context))
            except ValueError as exc:
                raise ValueError(f"constraint {i}: {exc}") from None
        return built

    def check(self, output: str, doc: Document | None = None) -> Verdict:
        verdicts = [c.check(output, doc) for c in self.constraints]
        failed = [v for v in verdicts if not v.passed]
        measured = {
            "passed_count": len(verdicts) - len(failed),
            "failed": [v.constraint for v in failed],
            "verdicts": [v.to_dict() for v in verdicts],
        }
        if not failed:
            return self.verdict(passed=True, measured=measured)
        distance = sum(abs(v.distance) for v in failed)
        feedback = " ".join(v.feedback for v in failed if v.feedback)
        return self.verdict(passed=False, measured=measured, distance=distance,
                            feedback_key="failed", feedback=feedback)
