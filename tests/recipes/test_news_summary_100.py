"""recipes/news-summary-100.yaml is the quickstart's task with 100 held-out articles.

The distillation benchmark compares teacher, base model and student on it, so its test split
must really hold 100 documents of the bundled corpus, none of which the quickstart trained or
tested on, and everything else (prompt, constraint, teacher and refine loop, student, evaluation) must be the
quickstart's, so that its figures and the quickstart's measure the same thing: change one, and
change the other.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from distil.recipe import load_recipe
from distil.recipe.preflight import read_documents, split_documents

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "news-summary-100.yaml"
QUICKSTART = ROOT / "recipes" / "quickstart.yaml"


def splits(path: Path) -> dict[str, list[str]]:
    loaded = load_recipe(path)
    return {name: [d.id for d in docs]
            for name, docs in split_documents(loaded, read_documents(loaded)).items()}


@pytest.fixture(scope="module")
def bench() -> dict[str, list[str]]:
    return splits(RECIPE)


@pytest.fixture(scope="module")
def quick() -> dict[str, list[str]]:
    return splits(QUICKSTART)


def test_holds_out_100_articles_of_the_bundled_corpus(bench):
    assert len(bench["test"]) == 100
    assert all(i.startswith("news-") for i in bench["test"])
    assert len(set(bench["train"] + bench["validation"] + bench["test"])) == \
        len(bench["train"]) + len(bench["validation"]) + 100


def test_the_quickstart_keeps_its_small_split(quick):
    assert {name: len(ids) for name, ids in quick.items()} == \
        {"train": 32, "validation": 4, "test": 12}


def test_none_of_the_test_articles_is_one_the_quickstart_used(bench, quick):
    used = quick["train"] + quick["validation"] + quick["test"]
    assert set(used).isdisjoint(bench["test"])
    # the same seed shuffles the corpus the same way, so the recipe's comment holds
    assert bench["train"][:len(used)] == used


def test_it_is_the_quickstart_but_for_the_split():
    bench, quick = (yaml.safe_load(p.read_text(encoding="utf-8")) for p in (RECIPE, QUICKSTART))
    for recipe in (bench, quick):
        del recipe["name"], recipe["description"], recipe["corpus"]["split"]
    assert bench == quick
