"""The reports' generation, dataset and totals sections: a label a person reads for every
figure, and every cost written one way (distil.wording.money)."""

from __future__ import annotations

import copy
import json
import re
from html import unescape
from pathlib import Path

from distil.results.figures import format_figure
from distil.wording import money
from distil_builtin.reporters.html import HtmlReport
from distil_builtin.reporters.markdown import MarkdownReport
from distil_builtin.reporters.table import total_items

REAL_RUN = Path(__file__).parent / "data" / "news_one_sentence.results.json"
RAW_KEYS = ("prompt_tokens", "completion_tokens", "request_errors", "kept_closest",
            "first_shot_pass_rate", "mean_attempts_per_document")


def real_results() -> dict:
    return json.loads(REAL_RUN.read_text(encoding="utf-8"))


def section(text: str, heading: str) -> str:
    """The text of one report section, from its heading to the next."""
    start = text.index(heading)
    rest = text[start + len(heading):]
    end = re.search(r"<h2>|^## ", rest, re.M)
    return rest[: end.start()] if end else rest


def test_html_totals_have_labels_and_one_cost_format(tmp_path):
    results = real_results()
    results["totals"]["cost"] = 0.0123
    html = HtmlReport().render(results, tmp_path).read_text(encoding="utf-8")
    totals = unescape(section(html, "<h2>Totals</h2>"))
    for key in RAW_KEYS:
        assert key not in html, key
    assert "<dt>prompt tokens</dt><dd>61,732</dd>" in totals
    assert "<dt>failed requests</dt><dd>0</dd>" in totals
    assert "<dt>total cost</dt><dd>$0.012</dd>" in totals
    generation = unescape(section(html, "<h2>Teacher generation</h2>"))
    assert "<dt>cost of generation</dt><dd>$0</dd>" in generation
    costs = re.findall(r"<dt>[^<]*cost[^<]*</dt><dd>([^<]*)</dd>", unescape(html))
    assert costs and all(c.startswith("$") for c in costs), costs  # never 0.0 or a bare 0
    assert "(USD)</dt>" not in html


def test_markdown_totals_read_the_same(tmp_path):
    text = MarkdownReport().render(real_results(), tmp_path).read_text(encoding="utf-8")
    totals = section(text, "## Totals")
    assert "- prompt tokens: 61,732" in totals and "- total cost: $0" in totals
    assert "- train examples: 14" in section(text, "## Dataset")
    for key in RAW_KEYS:
        assert key not in text, key


def test_bench_totals_are_labelled_too(tmp_path):
    bench = {"suite": {"name": "s"}, "cells": {}, "tasks": [], "models": [],
             "totals": {"requests": 3, "prompt_tokens": 10, "completion_tokens": 5,
                        "cost": 1234.5, "request_errors": 1}}
    html = unescape(HtmlReport().render(copy.deepcopy(bench), tmp_path).read_text("utf-8"))
    md = MarkdownReport().render(bench, tmp_path).read_text("utf-8")
    assert "<dt>total cost</dt><dd>$1,234.50</dd>" in html and "- total cost: $1,234.50" in md
    assert "request_errors" not in html + md


def test_a_total_the_reporter_does_not_know_still_gets_words():
    items = dict(total_items({"requests": 2, "truncated_outputs": 1, "load_seconds": 33.94,
                              "judge_cost": 0.5, "by_reason": {"x": 1}}))
    assert items == {"requests": "2", "truncated outputs": "1", "load seconds": "33.94",
                     "judge cost": "$0.50"}


def test_one_money_and_one_figure_formatter():
    assert [money(x) for x in (0, 0.00042, 0.0312, 0.5, 12.345, 1234.5)] == [
        "$0", "$0.00042", "$0.031", "$0.50", "$12.35", "$1,234.50"]
    assert format_figure(0.0312, "money") == "$0.031"
    assert format_figure(None, "{:.1f}") == "–"
    assert format_figure("n/a", "{:.1f}") == "n/a"
    assert format_figure(0.5, "{:.1%}") == "50.0%"


def test_the_title_counts_documents_in_words():
    from distil_builtin.reporters.table import table_title

    one = {"m": {"metrics": {"pass_rate": {"n": 1}}}}
    assert table_title(one) == "Evaluation (single-shot, 1 document per model)"
    assert table_title({"m": {"metrics": {"pass_rate": {"n": 24}}}}).startswith(
        "Evaluation (single-shot, 24 documents per model")
