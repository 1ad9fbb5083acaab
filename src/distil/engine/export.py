"""The export stage: accepted samples as OpenAI chat fine-tuning JSONL.

`train.jsonl` and `validation.jsonl` hold one `{"messages": [system?, user, assistant]}` per
accepted (or kept-closest) document of that split, in the split's order, so a resumed run
writes the very bytes an uninterrupted one does.
"""

from __future__ import annotations

import json

from distil.engine.context import RunContext
from distil.types import Message, Sample

KEPT = ("accepted", "closest")


def export(ctx: RunContext) -> dict[str, int] | None:
    """Write the dataset files; their example counts per split, or None with nothing to do."""
    outcomes = ctx.store.outcomes()
    if not outcomes:
        ctx.skip("export: nothing to do: no document has been generated yet (run the "
                "generate stage first)")
        return None
    splits = ctx.splits()
    counts: dict[str, int] = {}
    options = ctx.recipe.spec.dataset
    for split in ("train", "validation"):
        seen: set[str] = set()
        lines: list[str] = []
        kept: list[Sample] = []
        for doc in splits[split]:
            o = outcomes.get(doc.id)
            if not o or o["status"] not in KEPT or o["split"] != split:
                continue
            chosen = ctx.store.attempt(o["attempt_id"])
            assert chosen.completion is not None
            messages = (*ctx.prompt_for(doc), Message("assistant", chosen.completion.text))
            sample = Sample(doc.id, messages, passed=chosen.passed, attempts=o["attempts"],
                            cost=o["cost"])
            line = json.dumps(sample.to_chat_example(), ensure_ascii=False)
            if options.dedupe and line in seen:  # identical examples teach nothing twice
                continue
            seen.add(line)
            lines.append(line)
            kept.append(sample)
        (ctx.run_dir / f"{split}.jsonl").write_text(
            "".join(line + "\n" for line in lines), encoding="utf-8")
        if options.parquet:  # pyarrow is imported only here (the `parquet` extra)
            from distil.datasets.parquet import write_parquet

            write_parquet(kept, ctx.run_dir / f"{split}.parquet")
        counts[split] = len(lines)
    ctx.store.set_meta("dataset", counts)
    ctx.mark("export", "done")
    return counts
