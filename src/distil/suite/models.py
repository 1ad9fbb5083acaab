"""The typed shape of a suite file.

A suite names recipes (the tasks; only their corpus, prompt, constraints and evaluate parts
are used) and models, and `distil bench` runs every task with every model::

    name: summaries
    recipes:
      - recipes/quickstart.yaml
      - {path: recipes/headlines.yaml, limit: 20}
    models:
      - local/smollm2
      - openai/gpt-4.1-mini
    limit: 50
    report: [markdown, html, json]
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from distil.names import check_slug
from distil.recipe.models import ComponentSpec, ModelSpec

SplitName = Literal["train", "validation", "test"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SuiteRecipe(Strict):
    """One task: a recipe file (relative to the suite) and per-task overrides."""

    path: str = Field(description="The recipe file, relative to the suite file.")
    split: SplitName | None = Field(default=None, description="Split to answer (default: the "
                                                              "suite's, else the recipe's).")
    limit: int | None = Field(default=None, ge=1, description="At most this many documents.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"path": data} if isinstance(data, str) else data


class SuiteModel(Strict):
    name: str = Field(description="Names the bench directory: runs/bench/<name>/<timestamp>.")
    description: str | None = None
    plugins: list[str] = Field(default_factory=list,
                               description="Plugin directories, relative to the suite file.")
    recipes: list[SuiteRecipe] = Field(min_length=1, description="The tasks.")
    models: list[ModelSpec] = Field(
        default_factory=list,
        description="Models every task is run with (`teacher` is each recipe's teacher); "
                    "`--model` replaces them.")
    metrics: list[ComponentSpec] | None = Field(
        default=None, description="Metrics for every task (default: each recipe's).")
    split: SplitName | None = Field(default=None, description="Split every task answers.")
    limit: int | None = Field(default=None, ge=1, description="At most N documents per task.")
    report: list[ComponentSpec] = Field(default_factory=lambda: ["markdown", "html", "json"])
    strategies: dict[str, ComponentSpec] | None = Field(
        default=None,
        description="Compare teacher strategies instead of models: label -> strategy "
                    "(`{refine: {max_rounds: 3}}`); each task's generate stage runs once per "
                    "strategy with the task's teacher (or each model listed), see "
                    "docs/strategies.md.")

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)
