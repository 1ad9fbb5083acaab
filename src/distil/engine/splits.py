"""Deterministic sampling and train/validation/test splits.

The same corpus, `sample`, `seed` and `split` always give the same documents in the same
splits, so a resumed run and an uninterrupted one agree, and two recipes sharing a seed share
their test set.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from distil.errors import UsageError
from distil.types import Document
from distil.wording import plural

SPLITS = ("train", "validation", "test")


def sample_and_split(docs: Iterable[Document], *, sample: int | None, seed: int,
                     split: dict[str, int] | None) -> dict[str, list[Document]]:
    """Draw `sample` documents with `seed`, then cut them into splits in the order of SPLITS.

    Without `split`, every stage sees every sampled document (one list under each name).
    Duplicate document ids are an error: ids key the run store.
    """
    all_docs = list(docs)
    seen: set[str] = set()
    for d in all_docs:
        if d.id in seen:
            raise UsageError(f"corpus: duplicate document id {d.id!r}")
        seen.add(d.id)
    rng = random.Random(seed)
    if sample is not None:
        if sample > len(all_docs):
            raise UsageError(f"corpus.sample is {sample} but the corpus has only "
                             f"{plural(len(all_docs), 'document')}")
        chosen = rng.sample(all_docs, sample)
    else:
        chosen = list(all_docs)
        rng.shuffle(chosen)
    if split is None:
        return {name: list(chosen) for name in SPLITS}
    wanted = sum(split.get(name, 0) for name in SPLITS)
    if wanted > len(chosen):
        raise UsageError(f"corpus.split asks for {plural(wanted, 'document')} but only "
                         f"{len(chosen)} {'is' if len(chosen) == 1 else 'are'} available")
    out: dict[str, list[Document]] = {}
    start = 0
    for name in SPLITS:
        n = split.get(name, 0)
        out[name] = chosen[start:start + n]
        start += n
    return out
