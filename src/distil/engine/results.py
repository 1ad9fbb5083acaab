"""A run's figures, assembled from its store: what results.json holds and reporters render.

Everything here reads the store and sends nothing, so `distil report` recomputes the same
figures a run printed. Each metric is computed once per rendering.
"""

from __future__ import annotations

import hashlib
from typing import Any

from distil import __version__
from distil.engine.context import GENERATE, RunContext
from distil.engine.evaluate import NAMES_META
from distil.engine.evaluation import EvaluationPlan
from distil.engine.metric_context import metric_context
from distil.engine.rundir import now_utc
from distil.engine.store import RunStore
from distil.engine.train import TRAINING_META


def generation_summary(store: RunStore) -> dict[str, Any]:
    outcomes = store.outcomes()
    if not outcomes:
        return {}
    figures = store.attempt_figures(GENERATE)  # counted in SQL, nothing decoded
    statuses = [o["status"] for o in outcomes.values()]
    n = len(outcomes)
    first = figures["first_shot"]
    return {
        "documents": n,
        "accepted": statuses.count("accepted"),
        "kept_closest": statuses.count("closest"),
        "rejected": statuses.count("rejected"),
        "failed": statuses.count("failed"),
        "attempts": figures["attempts"],
        "truncated": figures["truncated"],
        "first_shot_pass_rate": figures["first_shot_passed"] / first if first else None,
        "pass_rate": statuses.count("accepted") / n,
        "mean_attempts_per_document": figures["attempts"] / n,
        "cost": figures["cost"],
    }


def model_figures(ctx: RunContext, plan: EvaluationPlan) -> dict[str, Any]:
    """Every evaluated model's metrics, plus its failed, truncated and cached answers."""
    names = ctx.store.get_meta(NAMES_META, {})
    metrics = plan.metric_plugins(ctx.recipe)
    base = metric_context(ctx, plan, offline=True)  # compute reads stored requests, sends none
    out: dict[str, Any] = {}
    for label in ctx.store.eval_models():
        records = ctx.store.eval_records(label)
        context = {**base, "label": label}
        out[label] = {
            "model": names.get(label, label),
            "answers": len(records),
            "failed": sum(1 for r in records if r.error),
            "truncated": sum(1 for r in records if r.finish_reason == "length"),
            "cached": sum(1 for r in records if r.cached),
            "metrics": {m.plugin_name: m.compute(records, context) for m in metrics},
        }
    return out


def evaluated_documents(store: RunStore, plan: EvaluationPlan | None) -> dict[str, Any] | None:
    """Which documents were evaluated: the split, their count and a digest of their ids, so
    `distil compare` can tell two runs on different test documents apart."""
    ids = sorted({r.doc_id for r in store.eval_records()})
    if not ids:
        return None
    digest = hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()
    return {"split": plan.split if plan else None, "n": len(ids), "sha256": digest}


def results(ctx: RunContext, plan: EvaluationPlan | None) -> dict[str, Any]:
    spec, store, manifest = ctx.recipe.spec, ctx.store, ctx.manifest
    return {
        "run": {
            "recipe": spec.name,
            "description": spec.description,
            "run_dir": str(ctx.run_dir),
            "distil_version": __version__,
            "seed": spec.corpus.seed,
            "started": manifest.get("started"),
            "finished": manifest.get("finished"),
            "rendered": now_utc(),
            "documents": evaluated_documents(store, plan),
        },
        "generate": generation_summary(store),
        "dataset": store.get_meta("dataset", {}),
        "models": model_figures(ctx, plan) if plan else {},
        "failures": {stage: reasons for stage in ("generate", "evaluate")
                     if (reasons := store.failure_reasons(stage))},
        "load_seconds": store.get_meta("load_seconds", {}),
        "totals": store.totals(),
        **({"training": training} if (training := store.get_meta(TRAINING_META)) else {}),
    }
