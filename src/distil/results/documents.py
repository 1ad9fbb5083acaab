"""A run's documents one by one, read from its store: what each model wrote and how it was judged.

`distil export` writes these records flat (one row per document and model) for pandas or a
spreadsheet; the HTML report's documents section shows them with, for generated documents, the
whole refine conversation. Both read the store only through `RunStore`'s read API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from distil.engine.store import RunStore
from distil.types import Attempt, Verdict

EVALUATE, GENERATE = "evaluate", "generate"


def open_run_store(run_dir: Path) -> RunStore:
    """The run's store, checked (a missing, empty or damaged store is refused: StoreError)."""
    from distil.engine.rundir import STORE

    return RunStore.open(Path(run_dir) / STORE)


def verdict_entry(v: Verdict) -> dict[str, Any]:
    d = v.to_dict()
    return {"constraint": d["constraint"], "passed": d["passed"], "measured": d["measured"],
            "distance": d["distance"], "feedback": d["feedback"]}


def _evaluated_split(store: RunStore) -> str | None:
    from distil.engine.evaluation import PLAN_META

    plan = store.get_meta(PLAN_META) or {}
    return plan.get("split")


def evaluation_documents(store: RunStore) -> list[dict[str, Any]]:
    """Every evaluation record: one per document and evaluated model."""
    split = _evaluated_split(store)
    out = []
    for r in store.eval_records():
        out.append({
            "stage": EVALUATE, "doc_id": r.doc_id, "model": r.model, "split": split,
            "status": "failed" if r.error else (
                "passed" if all(v.passed for v in r.verdicts) else "rejected"),
            "output": r.output, "verdicts": [verdict_entry(v) for v in r.verdicts],
            "latency": r.latency, "prompt_tokens": r.usage.prompt_tokens,
            "completion_tokens": r.usage.completion_tokens, "cost": r.cost, "error": r.error,
            "finish_reason": r.finish_reason, "cached": r.cached, "attempts": 1,
        })
    return out


def _turn(attempt_id: int, a: Attempt, accepted: int | None) -> dict[str, Any]:
    c = a.completion
    return {
        "restart": a.restart, "round": a.round,
        # the request as sent: a fresh conversation shows its prompt, a refine round the
        # feedback turn that asked for it
        "sent": [m.to_dict() for m in (a.messages if a.round == 0 else a.messages[-1:])],
        "output": c.text if c else None, "verdicts": [verdict_entry(v) for v in a.verdicts],
        "error": a.error, "finish_reason": c.finish_reason if c else None,
        "accepted": attempt_id == accepted,
    }


def generation_documents(store: RunStore, *, conversation: bool = True) -> list[dict[str, Any]]:
    """Every generated document: its outcome, the attempt kept (else the last one), and with
    `conversation` every attempt in order (restarts, feedback turns, the accepted one)."""
    attempts: dict[str, list[tuple[int, str, Attempt]]] = defaultdict(list)
    for attempt_id, _stage, label, _key, a in store.attempt_rows(GENERATE):
        attempts[a.doc_id].append((attempt_id, label, a))
    out = []
    for doc_id, outcome in sorted(store.outcomes().items()):
        tried = attempts.get(doc_id, [])
        if not tried:
            continue
        chosen = next((t for t in tried if t[0] == outcome["attempt_id"]), tried[-1])
        _, label, a = chosen
        c = a.completion
        record = {
            "stage": GENERATE, "doc_id": doc_id, "model": label, "split": outcome["split"],
            "status": outcome["status"], "output": c.text if c else None,
            "verdicts": [verdict_entry(v) for v in a.verdicts],
            "latency": c.latency if c else None,
            "prompt_tokens": sum(t[2].completion.usage.prompt_tokens
                                 for t in tried if t[2].completion),
            "completion_tokens": sum(t[2].completion.usage.completion_tokens
                                     for t in tried if t[2].completion),
            "cost": outcome["cost"], "error": a.error,
            "finish_reason": c.finish_reason if c else None, "cached": bool(c and c.cached),
            "attempts": len(tried),
        }
        if conversation:
            record["conversation"] = [_turn(i, t, outcome["attempt_id"]) for i, _, t in tried]
        out.append(record)
    return out


def documents(store: RunStore, stages: Iterable[str] = (GENERATE, EVALUATE), *,
              conversation: bool = True) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if GENERATE in stages:
        out += generation_documents(store, conversation=conversation)
    if EVALUATE in stages:
        out += evaluation_documents(store)
    return out


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """One record as one row: each constraint's measured, passed, distance and feedback in
    columns of its own (`<constraint>.passed`, ...); a constraint named twice gets `#2`."""
    row = {k: v for k, v in record.items() if k not in ("verdicts", "conversation")}
    row["passed"] = record["status"] in ("passed", "accepted")
    seen: dict[str, int] = defaultdict(int)
    for v in record["verdicts"]:
        seen[v["constraint"]] += 1
        name = v["constraint"] + (f"#{seen[v['constraint']]}" if seen[v["constraint"]] > 1 else "")
        for key in ("measured", "passed", "distance", "feedback"):
            row[f"{name}.{key}"] = v[key]
    return row
