"""Deterministic sampling and train/validation/test splits.

The same corpus, `sample`, `seed` and `split` always give the same documents in the same
splits, so a resumed run and an uninterrupted one agree, and two recipes sharing a seed share
their test set.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import TypeVar

from distil.errors import UsageError
from distil.types import Document
from distil.wording import plural

T = TypeVar("T")

SPLITS = ("train", "validation", "test")


def sample_and_split(docs: Iterable[Document], *, sample: int | None, seed: int,
                     split: dict[str, int] | None) -> dict[str, list[Document]]:
    """Draw `sample` documents with `seed`, then cut them into splits in the order of SPLITS.

    Without `split`, every stage sees every sampled document (one list under each name).
    Duplicate document ids are an error: ids key the run store.
    """
    return _select(list(docs), lambda d: d.id, sample=sample, seed=seed, split=split)


def split_ids(ids: Iterable[str], *, sample: int | None, seed: int,
              split: dict[str, int] | None) -> dict[str, list[str]]:
    """The ids `sample_and_split` would put in each split, from the ids alone: a caller that
    streams the corpus holds its ids, never its documents (the draw depends only on the
    count, so both choose the same)."""
    return _select(list(ids), lambda i: i, sample=sample, seed=seed, split=split)


def _select(items: list[T], key: Callable[[T], str], *, sample: int | None, seed: int,
            split: dict[str, int] | None) -> dict[str, list[T]]:
    seen: set[str] = set()
    for item in items:
        if key(item) in seen:
            raise UsageError(f"corpus: duplicate document id {key(item)!r}")
        seen.add(key(item))
    rng = random.Random(seed)
    if sample is not None:
        if sample > len(items):
            raise UsageError(f"corpus.sample is {sample} but the corpus has only "
                             f"{plural(len(items), 'document')}")
        chosen = rng.sample(items, sample)
    else:
        chosen = list(items)
        rng.shuffle(chosen)
    if split is None:
        return {name: list(chosen) for name in SPLITS}
    wanted = sum(split.get(name, 0) for name in SPLITS)
    if wanted > len(chosen):
        raise UsageError(f"corpus.split asks for {plural(wanted, 'document')} but only "
                         f"{len(chosen)} {'is' if len(chosen) == 1 else 'are'} available")
    out: dict[str, list[T]] = {}
    start = 0
    for name in SPLITS:
        n = split.get(name, 0)
        out[name] = chosen[start:start + n]
        start += n
    return out
