"""LLM-as-judge: a model grades each answer's coverage and faithfulness against its source.

The judge is any model plugin (`model:` takes the same specs as a recipe's teacher, or
`teacher`), and its prompt is a Jinja2 template in the recipe. Its requests go through the
engine like every other request — cached, retried, rate-limited, priced, stored in the run under
stage `judge` — in `prepare`; `compute` reads the stored answers back, so re-rendering a report
never asks the judge again.
"""

from __future__ import annotations

import asyncio
import re
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import TemplateSyntaxError
from pydantic import Field, ValidationInfo, field_validator

from distil.engine.prompting import template_context
from distil.kinds import Metric, Model
from distil.templating import check_template, render
from distil.types import Completion, Document, EvalRecord, Message
from distil_builtin.metrics.intervals import bootstrap_mean

DEFAULT_PROMPT = """\
You are grading a summary of a source text.

Source:
{{ source }}

Summary:
{{ output }}

Rate the summary on each criterion from 1 (worst) to 5 (best):
- Coverage: does it keep the main points of the source?
- Faithfulness: does it say only what the source supports, with nothing invented or wrong?

Answer with exactly these two lines and nothing else:
Coverage: <score>
Faithfulness: <score>"""

_RANGE = re.compile(r"\(?\s*1\s*(?:-|–|to)\s*5\s*\)?", re.I)
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)")


def parse_scores(text: str, criteria: Sequence[str]) -> dict[str, float]:
    """Scores 1–5 by criterion from lines like `Coverage: 4`, `**Faithfulness**: 5/5`.

    For each criterion, the first line naming it (any case) is read: a range such as `(1-5)`
    is skipped and the first number after the name is the score, when it is from 1 to 5. A
    criterion without one is left out, and so is one whose first number is off the scale
    (`0/5`, `6 out of 5`): the 5 of "out of 5" is not a score.
    """
    found: dict[str, float] = {}
    for line in text.splitlines():
        low = line.casefold()
        for name in criteria:
            if name in found:
                continue
            at = low.find(name.casefold())
            if at < 0:
                continue
            match = _NUMBER.search(_RANGE.sub(" ", line[at + len(name):]))
            if match and 1 <= float(match.group(1)) <= 5:
                found[name] = float(match.group(1))
    return found


def _check_model_spec(spec: Any, info: ValidationInfo) -> Any:
    from distil.errors import UnknownPluginError
    from distil.plugins import context_host
    from distil.recipe.resolve import parse_model_string

    if spec == "teacher":
        return spec
    host = context_host(info)  # the recipe's plugins, so a plugins-dir judge model is found
    registry = host.registry("model")
    if isinstance(spec, str):
        try:
            parse_model_string(spec, host)
        except UnknownPluginError as exc:
            raise ValueError(f"{exc} (write `provider/model`, e.g. `openai/gpt-4.1-mini`, "
                             f"or `teacher`)") from None
        return spec
    if isinstance(spec, Mapping) and len(spec) == 1:
        name = next(iter(spec))
        if name not in registry:
            raise ValueError(str(UnknownPluginError("model", name, registry.names())))
        return spec
    raise ValueError("write the judge as `provider/model`, `{provider: {options}}` or `teacher`")


class Judge(Metric):
    """LLM-as-judge scores (1–5) of coverage and faithfulness against the source; bootstrap CI."""

    model: str | dict[str, Any] = Field(
        default="teacher",
        description="The judge: `provider/model-id`, `{provider: {options}}`, or `teacher`.")
    prompt: str = Field(
        default=DEFAULT_PROMPT,
        description="Jinja2 template of the judge's request. It sees `source` (the document "
                    "text), `output` (the answer), `doc`, `criteria` and the prompt `vars`.")
    system: str | None = Field(default=None, description="Optional system message template.")
    criteria: list[str] = Field(
        default_factory=lambda: ["coverage", "faithfulness"], min_length=1,
        description="Names the judge scores; each is read from a `<name>: <1-5>` line.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Request parameters for the judge's calls.")

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: Any, info: ValidationInfo) -> Any:
        return _check_model_spec(value, info)

    @field_validator("criteria")
    @classmethod
    def _plain_names(cls, value: list[str]) -> list[str]:
        reserved = {"judge", "criteria", "n", "missing", "unparsed", "errors", "cost", "score"}
        for name in value:
            if not name.strip() or name in reserved or name.endswith("_ci95"):
                raise ValueError(f"{name!r} cannot be a criterion name")
        return value

    @field_validator("prompt", "system")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_template(value)
            except TemplateSyntaxError as exc:
                raise ValueError(f"template error: {exc.message}") from None
        return value

    @property
    def purpose(self) -> str:
        """The stage name the judge's requests are stored under."""
        return self.plugin_name or "judge"

    def messages(self, doc: Document, output: str, context: dict[str, Any]) -> tuple[Message, ...]:
        recipe = context.get("recipe")
        variables = dict(recipe.prompt.vars) if recipe is not None else {}
        values = {**template_context(doc, variables), "source": doc.text, "output": output,
                  "criteria": list(self.criteria)}
        out = []
        if self.system:
            out.append(Message("system", render(self.system, values).strip()))
        out.append(Message("user", render(self.prompt, values).strip()))
        return tuple(out)

    def _work(self, records: Sequence[EvalRecord], context: dict[str, Any]
              ) -> list[tuple[Document | None, tuple[Message, ...] | None]]:
        documents = context.get("documents") or {}
        work = []
        for r in records:
            doc = documents.get(r.doc_id) if r.output is not None else None
            work.append((doc, self.messages(doc, r.output, context) if doc else None))
        return work

    async def prepare(self, records: Sequence[EvalRecord], context: dict[str, Any]) -> None:
        models = context["models"]
        judge = models.get(self.model)

        async def one(doc: Document, messages: tuple[Message, ...]) -> None:
            await models.complete(self.purpose, judge, doc, messages, self.params)

        await asyncio.gather(*(one(d, m) for d, m in self._work(records, context) if m))

    def compute(self, records: Sequence[EvalRecord], context: dict[str, Any]) -> dict[str, Any]:
        models = context["models"]
        judge: Model = models.get(self.model)
        answers: list[Completion] = []
        per_record: list[dict[str, float]] = []
        missing = unparsed = 0
        for doc, messages in self._work(records, context):
            if messages is None:
                continue
            completion = models.stored(self.purpose, judge, doc, messages, self.params)
            if completion is None:
                missing += 1
                continue
            answers.append(completion)
            scores = parse_scores(completion.text, self.criteria)
            if len(scores) < len(self.criteria):
                unparsed += 1
                continue
            per_record.append(scores)
        costs = [c.cost for c in answers if c.cost is not None]
        out: dict[str, Any] = {
            "judge": judge.display_name,
            "criteria": list(self.criteria),
            "n": len(per_record),
            "missing": missing,
            "unparsed": unparsed,
            "errors": sum(1 for r in records if r.output is None),
            "cost": sum(costs) if costs else None,
        }
        if not per_record:
            out["score"] = None
            out.update({name: None for name in self.criteria})
            return out
        overall = [statistics.fmean(s[name] for name in self.criteria) for s in per_record]
        out["score"] = statistics.fmean(overall)
        out["score_ci95"] = list(bootstrap_mean(overall))
        for name in self.criteria:
            values = [s[name] for s in per_record]
            out[name] = statistics.fmean(values)
            out[f"{name}_ci95"] = list(bootstrap_mean(values))
        return out
