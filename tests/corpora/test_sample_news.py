"""The bundled sample corpus is what docs/corpora.md says it is.

plugins/distil_builtin/data/sample_news.jsonl holds short news-style articles written for distil
(invented towns, firms and people). It must be big enough for a recipe to hold out 100 test
documents and still refine a training set (recipes/news-summary-100.yaml), each article must fit
a one-sentence summary task (80 to 250 words of plain prose), and it must be prose rather than
a template's output: no sentence appears twice anywhere in it. The articles the corpus first
shipped with stay as they were, so figures measured on them can still be traced.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from distil.text import words
from distil_builtin.corpora.jsonl import SAMPLE_NEWS

DOC = Path(__file__).resolve().parents[2] / "docs" / "corpora.md"
CATEGORIES = ("local", "science", "sports", "business", "culture", "weather", "technology",
              "health", "transport", "education", "environment", "food")
AT_LEAST = 320
WORDS = (80, 250)
# the first 72 lines, as the corpus shipped before it grew (sha256 of those lines, newlines kept)
ORIGINAL_LINES = 72
ORIGINAL_SHA256 = "26e4cabbdb9792b414612ab73c50a7521055c7f120b33dfa4c9f5a4fc4da1977"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return SAMPLE_NEWS.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.fixture(scope="module")
def articles(lines) -> list[dict]:
    return [json.loads(line) for line in lines]


def test_at_least_320_articles_with_sequential_ids(articles):
    assert len(articles) >= AT_LEAST
    assert [a["id"] for a in articles] == [f"news-{n:03d}" for n in range(1, len(articles) + 1)]


def test_the_plugin_reads_every_article_as_a_document(articles, make_corpus):
    docs = list(make_corpus("sample_news").iter_documents())
    assert [d.id for d in docs] == [a["id"] for a in articles]
    assert [d.text for d in docs] == [a["body"] for a in articles]
    assert {d.fields["category"] for d in docs} == set(CATEGORIES)


def test_every_article_is_a_headline_and_one_paragraph(articles):
    for a in articles:
        assert set(a) == {"id", "title", "body", "category"}, a["id"]
        assert a["title"].strip() == a["title"] and a["title"], a["id"]
        assert "\n" not in a["title"] and "\n" not in a["body"], a["id"]
        assert a["body"].strip() == a["body"] and "  " not in a["body"], a["id"]
    titles = Counter(a["title"] for a in articles)
    assert [t for t, n in titles.items() if n > 1] == []


def test_every_body_is_80_to_250_words_and_lengths_vary(articles):
    low, high = WORDS
    counts = {a["id"]: len(words(a["body"])) for a in articles}
    assert {i: n for i, n in counts.items() if not low <= n <= high} == {}
    # spread over the range, not bunched at one length
    assert sum(n < 100 for n in counts.values()) >= 30
    assert sum(n > 200 for n in counts.values()) >= 15


def test_categories_are_known_and_balanced(articles):
    per_category = Counter(a["category"] for a in articles)
    assert set(per_category) == set(CATEGORIES)
    assert max(per_category.values()) <= 1.25 * min(per_category.values()), per_category


def test_no_sentence_appears_twice(articles):
    seen: dict[str, str] = {}
    repeated = []
    for a in articles:
        for sentence in SENTENCE_END.split(a["body"]):
            key = " ".join(words(sentence.lower()))
            if key in seen:
                repeated.append((seen[key], a["id"], sentence))
            seen[key] = a["id"]
    assert repeated == []


def test_the_original_articles_are_unchanged(lines):
    original = "".join(lines[:ORIGINAL_LINES]).encode("utf-8")
    assert hashlib.sha256(original).hexdigest() == ORIGINAL_SHA256


def test_docs_state_the_corpus_as_it_is(articles):
    page = DOC.read_text(encoding="utf-8")
    section = " ".join(page.split("\n## sample_news\n", 1)[1].split("\n## ")[0].split())
    counts = [len(words(a["body"])) for a in articles]
    assert f"{len(articles)} articles" in section
    assert f"{min(counts)} to {max(counts)} words" in section
    assert all(f"`{c}`" in section for c in CATEGORIES)
