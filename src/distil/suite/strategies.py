"""Strategy comparisons: a suite with `strategies:` runs the generate stage once per strategy.

Each (task, strategy) cell is an ordinary run directory whose teacher strategy is the one
named: the generate stage works on the task's train and validation documents (each cut to the
suite's `limit`), then every document's answer becomes an evaluation record under the
strategy's label — the output the strategy kept, else the last it got, with the tokens and
seconds of *all* its requests for the document — so the usual metrics (pass rate, the quality
signal: `mid_sentence`, `rouge`, `judge`) and reports work on it unchanged. `strategy_figures`
adds what only a comparison needs: requests, tokens and seconds per accepted output.

A request another strategy already made (refine's first is `single`'s) is answered from the
response cache; its seconds are those it took when first asked, so each strategy is charged
what its own requests cost, whatever order the cells ran in.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from distil.engine.context import GENERATE
from distil.engine.evaluate import NAMES_META
from distil.engine.evaluation import EvaluationPlan, save_plan
from distil.engine.metric_context import prepare_metrics
from distil.engine.runner import RunOptions, Runner
from distil.engine.store import RunStore
from distil.recipe import LoadedRecipe
from distil.recipe.resolve import build_model, build_plugin
from distil.recipe.yaml_source import YamlSource
from distil.types import Attempt, EvalRecord, Usage

# What every strategy cell reports unless the suite lists its metrics: compliance, the cost
# figures per accepted output, and the one quality signal that needs no reference or judge.
STRATEGY_METRICS: list[Any] = ["pass_rate", "mid_sentence", "tokens", "latency"]
STRATEGY_SPLIT = "train+validation"  # the documents a strategy cell works on


def with_strategy(loaded: LoadedRecipe, label: str, spec: Any, src: YamlSource,
                  model_spec: Any = "teacher") -> LoadedRecipe:
    """`loaded` with its teacher's strategy (and, unless `teacher`, its model) replaced; the
    resolved recipe in the cell's run directory says so."""
    teacher = loaded.spec.teacher
    assert teacher is not None, "the loader refuses strategies on a recipe without a teacher"
    update: dict[str, Any] = {"strategy": spec}
    loaded.strategy = build_plugin(loaded.host, "strategy", spec, ("strategies", label),
                                   src)  # type: ignore[assignment]
    if model_spec != "teacher":
        update["model"] = model_spec
        loaded.teacher_model = build_model(loaded.host, model_spec, ("models",), src)
    loaded.spec = loaded.spec.model_copy(update={"teacher": teacher.model_copy(update=update)})
    return loaded


def _answer(kept: Attempt | None, attempts: list[Attempt]) -> Attempt:
    """The document's answer: the attempt kept, else the last answered, else the last."""
    if kept is not None:
        return kept
    answered = [a for a in attempts if a.completion is not None]
    return (answered or attempts)[-1]


def record_answers(store: RunStore, label: str) -> int:
    """Every generated document's answer as an evaluation record under `label`; how many."""
    by_doc: dict[str, list[Attempt]] = defaultdict(list)
    for _, _, _, _, attempt in store.attempt_rows(GENERATE):
        by_doc[attempt.doc_id].append(attempt)
    outcomes = store.outcomes()
    for doc_id, outcome in outcomes.items():
        attempts = by_doc.get(doc_id) or []
        if not attempts:
            continue
        kept = store.attempt(outcome["attempt_id"]) if outcome["attempt_id"] else None
        answer = _answer(kept, attempts)
        done = [a.completion for a in attempts if a.completion is not None]
        costs = [c.cost for c in done if c.cost is not None]
        c = answer.completion
        store.add_eval_record(EvalRecord(
            model=label, doc_id=doc_id, output=c.text if c else None, verdicts=answer.verdicts,
            latency=sum(x.latency for x in done),
            usage=Usage(sum(x.usage.prompt_tokens for x in done),
                        sum(x.usage.completion_tokens for x in done)),
            cost=sum(costs) if costs else None, error=None if c else answer.error,
            finish_reason=c.finish_reason if c else None), outcome["attempt_id"])
    return len(outcomes)


async def run_strategy_cell(loaded: LoadedRecipe, cell_dir: Path, label: str,
                            metrics: list[Any], options: RunOptions) -> dict[str, Any]:
    """Generate with the cell's strategy, record each document's answer, report; the run's
    results (the strategy's figures under `models[label]`)."""
    runner = Runner(loaded, cell_dir, options)
    await runner.run((GENERATE,))
    plan = EvaluationPlan(STRATEGY_SPLIT, options.limit, loaded.spec.teacher.concurrency
                          if loaded.spec.teacher else 1, ((label, "teacher"),), tuple(metrics))
    store = RunStore.open(cell_dir / "store.sqlite")
    try:
        record_answers(store, label)
        save_plan(store, plan)
        model = loaded.teacher_model
        store.set_meta(NAMES_META, {label: model.display_name if model else label})
    finally:
        store.close()
    reporter = Runner(loaded, cell_dir, options, plan=plan)
    try:  # a judge asks its model now, through the run's pipeline
        await prepare_metrics(reporter.ctx, plan)
    except BaseException:
        await reporter.aclose()
        raise
    await reporter.run(("report",))
    return reporter.last_results


def strategy_figures(results: dict[str, Any], label: str) -> dict[str, Any]:
    """Requests, tokens and seconds per accepted output, from a strategy cell's results."""
    generate = results.get("generate") or {}
    metrics = ((results.get("models") or {}).get(label) or {}).get("metrics") or {}
    accepted = generate.get("accepted") or 0
    tokens = (metrics.get("tokens") or {}).get("total")
    latency = metrics.get("latency") or {}
    seconds = latency["mean"] * latency["n"] if latency.get("mean") is not None else None

    def per(value: float | None) -> float | None:
        return value / accepted if accepted and value is not None else None

    return {"documents": generate.get("documents"), "accepted": accepted,
            "requests": generate.get("attempts"), "tokens": tokens, "seconds": seconds,
            "requests_per_accepted": per(generate.get("attempts")),
            "tokens_per_accepted": per(tokens), "seconds_per_accepted": per(seconds)}
