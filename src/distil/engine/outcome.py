"""What a document's attempts come to: the outcome the generate stage records for it.

Shared by the concurrent path (generate.py) and the Batch API path (batch.py), so both record
the same status, chosen attempt and cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from distil.engine.store import RunStore
from distil.kinds import Strategy
from distil.types import Attempt


def record_outcome(store: RunStore, strategy: Strategy, doc_id: str, split: str,
                   attempts: Sequence[Attempt], attempt_ids: Mapping[tuple[int, int], int]
                   ) -> tuple[str, float | None]:
    """Store the document's outcome; return (status, cost of all its attempts).

    `attempt_ids` maps each attempt's (restart, round) to its row in the store: strategies
    may run attempts concurrently (best_of_n), so completion order is not attempt order.

    Status: `accepted` (an attempt passed), `closest` (kept though none passed), `rejected`
    (answers, none kept) or `failed` (every request failed).
    """
    chosen = strategy.choose(attempts)
    if chosen is None:
        status = "failed" if all(a.error for a in attempts) else "rejected"
        chosen_id = None
    else:
        status = "accepted" if chosen.passed else "closest"
        chosen_id = attempt_ids[(chosen.restart, chosen.round)]
    costs = [a.completion.cost for a in attempts if a.completion]
    cost = sum(c for c in costs if c is not None) if costs else None
    store.set_outcome(doc_id, split, status, chosen_id, len(attempts), cost)
    return status, cost
