"""Documents streamed from the corpus (the Ray path's driver holds ids, not documents) are
exactly the documents, in the same splits, that a run holding the whole corpus gets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distil.engine.splits import sample_and_split, split_ids
from distil.errors import UsageError
from distil.types import Document


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), seed=st.integers(0, 10**6), data=st.data())
def test_split_ids_chooses_what_sample_and_split_chooses(n, seed, data):
    order = data.draw(st.permutations(range(n)))  # a corpus in no particular id order
    docs = [Document(f"d{i:03d}", f"text {i}") for i in order]
    sample = data.draw(st.none() | st.integers(1, n))
    available = sample or n
    split = data.draw(st.none() | st.fixed_dictionaries({
        "train": st.integers(0, available), "validation": st.integers(0, 3),
        "test": st.integers(0, 3)}).filter(lambda s: sum(s.values()) <= available))
    whole = sample_and_split(docs, sample=sample, seed=seed, split=split)
    ids = split_ids((d.id for d in docs), sample=sample, seed=seed, split=split)
    assert ids == {name: [d.id for d in chosen] for name, chosen in whole.items()}


def test_split_ids_refuses_what_sample_and_split_refuses():
    with pytest.raises(UsageError, match="duplicate document id 'a'"):
        split_ids(["a", "b", "a"], sample=None, seed=0, split=None)
    with pytest.raises(UsageError, match="only 2 documents"):
        split_ids(["a", "b"], sample=3, seed=0, split=None)
