"""`distil dataset validate` and the checks behind it: every problem kind, on its own line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distil.text import tokens
from distil.datasets.validate import (
    UnreadableDataset,
    example_tokens,
    validate_file,
    validate_lines,
)
from distil_builtin.trainers.openai_prices import (
    default_epochs,
    estimate_fine_tune,
    training_price,
)
from distil_builtin.trainers.openai_ft import OpenAITrainer
from tests.core.clihelp import distil

GOOD = {"messages": [{"role": "system", "content": "Be brief."},
                     {"role": "user", "content": "Summarise: the cat sat."},
                     {"role": "assistant", "content": "A cat sat."}]}


def good_lines(n: int) -> list[str]:
    return [json.dumps(GOOD)] * n


# One malformed line for each kind of problem, with the line it must be reported on.
BAD = {
    "invalid_json": "{not json",
    "data_type": "[1, 2, 3]",
    "missing_messages_list": json.dumps({"prompt": "hi", "completion": "there"}),
    "message_missing_key": json.dumps({"messages": [
        {"role": "system", "content": "s"}, {"content": "no role"},
        {"role": "assistant", "content": "a"}]}),
    "message_unrecognized_key": json.dumps({"messages": [
        {"role": "system", "content": "s"}, {"role": "user", "content": "u", "mood": "happy"},
        {"role": "assistant", "content": "a"}]}),
    "unrecognized_role": json.dumps({"messages": [
        {"role": "system", "content": "s"}, {"role": "narrator", "content": "u"},
        {"role": "assistant", "content": "a"}]}),
    "missing_content": json.dumps({"messages": [
        {"role": "system", "content": "s"}, {"role": "user", "content": "u"},
        {"role": "assistant", "content": ""}]}),
    "example_missing_assistant_message": json.dumps({"messages": [
        {"role": "system", "content": "s"}, {"role": "user", "content": "u"}]}),
    "invalid_weight": json.dumps({"messages": [
        {"role": "system", "content": "s"}, {"role": "user", "content": "u"},
        {"role": "assistant", "content": "a", "weight": 0.5}]}),
    "missing_system_message": json.dumps({"messages": [
        {"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}),
    "missing_user_message": json.dumps({"messages": [
        {"role": "system", "content": "s"}, {"role": "assistant", "content": "a"}]}),
}
WARNINGS = {"missing_system_message", "missing_user_message", "too_many_tokens", "blank_line"}


def malformed_file(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """12 good examples with every bad kind interleaved; returns {code: line number}."""
    lines = good_lines(12)
    where: dict[str, int] = {}
    for i, (code, line) in enumerate(BAD.items()):
        at = 2 * i + 1  # 0-based insert position: every other line
        lines.insert(at, line)
        where[code] = at + 1
    lines = [*lines]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, where


def test_every_error_kind_is_reported_on_its_line(tmp_path):
    path, where = malformed_file(tmp_path)
    report = validate_file(path)
    found = {(p.code, p.line) for p in report.problems}
    for code, line in where.items():
        assert (code, line) in found, (code, line, sorted(found))
        level = next(p.level for p in report.problems if p.code == code and p.line == line)
        assert level == ("warning" if code in WARNINGS else "error")
    # good lines carry no problem at all
    bad_lines = set(where.values())
    assert all(p.line in bad_lines for p in report.problems)
    assert not report.valid


def test_messages_name_the_culprit():
    report = validate_lines([BAD["unrecognized_role"], BAD["message_unrecognized_key"],
                             BAD["invalid_weight"]], min_examples=0)
    text = "\n".join(p.message for p in report.problems)
    assert "'narrator'" in text and "'mood'" in text and "got 0.5" in text


def test_weight_zero_and_one_are_fine_but_not_on_a_user_message():
    ok = {"messages": [{"role": "user", "content": "u"},
                       {"role": "assistant", "content": "a", "weight": 0},
                       {"role": "user", "content": "u2"},
                       {"role": "assistant", "content": "b", "weight": 1}]}
    on_user = {"messages": [{"role": "user", "content": "u", "weight": 1},
                            {"role": "assistant", "content": "a"}]}
    report = validate_lines([json.dumps(ok), json.dumps(on_user)], min_examples=0)
    weights = [p for p in report.problems if p.code == "invalid_weight"]
    assert [(p.line, "only allowed on assistant" in p.message) for p in weights] == [(2, True)]
    assert validate_lines([json.dumps({"messages": [
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": "a", "weight": True}]})], min_examples=0).errors


def test_too_few_examples_is_a_file_level_error():
    report = validate_lines(good_lines(9))
    assert [(p.code, p.line) for p in report.errors] == [("too_few_examples", None)]
    assert validate_lines(good_lines(10)).valid


def test_an_example_over_the_token_limit_is_a_warning():
    long = {"messages": [{"role": "user", "content": "word " * 20000},
                         {"role": "assistant", "content": "ok"}]}
    report = validate_lines([*good_lines(10), json.dumps(long)])
    over = [p for p in report.problems if p.code == "too_many_tokens"]
    assert [p.line for p in over] == [11] and over[0].level == "warning"
    assert report.valid and report.tokens["over_limit"] == 1


def test_token_counts_follow_the_guide_formula():
    counter = tokens.counter("o200k_base")
    messages = GOOD["messages"]
    expected = 3 + sum(3 + counter.count(m["role"]) + counter.count(m["content"])
                       for m in messages)
    assert example_tokens(messages, counter) == expected
    report = validate_lines(good_lines(10), counter=counter)
    assert report.tokens["total"]["min"] == report.tokens["total"]["max"] == expected
    assert report.tokens["total_tokens"] == 10 * expected


def test_tiktoken_loads_offline_from_the_file_litellm_ships(monkeypatch, tmp_path):
    import tiktoken.registry

    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty"))
    assert tokens.bundled_file("o200k_base") is not None
    counter = tokens.counter("o200k_base")
    assert counter.exact and "litellm" in counter.source
    assert counter.count("hello world") == 2
    assert __import__("os").environ["TIKTOKEN_CACHE_DIR"] == str(tmp_path / "empty")  # restored


def test_without_any_encoding_file_the_count_is_a_labelled_estimate(monkeypatch):
    monkeypatch.setattr(tokens, "load_encoding", lambda name: (None, "not available offline"))
    counter = tokens.counter("o200k_base")
    assert not counter.exact and counter.source.startswith("estimate")
    assert counter.count("abcdefgh") == 2
    report = validate_lines(good_lines(10), counter=counter)
    assert report.tokens["exact"] is False


@pytest.mark.parametrize("n, epochs", [(1, 25), (10, 10), (33, 3), (34, 3), (5000, 3),
                                       (9000, 2), (30000, 1)])
def test_default_epochs_follow_openais_rule(n, epochs):
    assert default_epochs(n) == epochs


def test_cost_estimate_uses_the_price_table_and_the_token_cap():
    assert training_price("gpt-4o-mini-2024-07-18") == (3.0, "gpt-4o-mini")
    assert training_price("openai/gpt-4.1-2025-04-14") == (25.0, "gpt-4.1")
    assert training_price("my-own-model") is None
    est = estimate_fine_tune([100, 20000], "gpt-4o-mini-2024-07-18", n_epochs=2)
    assert est.billed_tokens == 2 * (100 + 16385)
    assert est.cost == pytest.approx(est.billed_tokens * 3.0 / 1e6)
    unknown = estimate_fine_tune([100] * 10, "my-own-model")
    assert unknown.cost is None and "training_price_per_million" in unknown.price_source
    given = estimate_fine_tune([100] * 10, "my-own-model", price_per_million=2.0)
    assert given.cost == pytest.approx(10 * 100 * 10 * 2.0 / 1e6)  # 10 epochs for 10 examples


def test_the_report_counts_tokens_and_the_trainer_prices_them():
    counter = tokens.counter("o200k_base")
    report = validate_lines(good_lines(12), counter=counter)
    per_example = example_tokens(GOOD["messages"], counter)
    assert report.example_tokens == [per_example] * 12
    assert report.estimate is None  # core holds no prices: a trainer estimates
    trainer = OpenAITrainer(base_model="gpt-4o-mini-2024-07-18", n_epochs=2,
                            training_price_per_million=4.0)
    estimate = trainer.estimate(report.example_tokens)
    assert estimate.epochs == 2 and estimate.billed_tokens == 2 * 12 * per_example
    assert estimate.cost == pytest.approx(estimate.billed_tokens * 4e-6)


def test_unreadable_files_raise(tmp_path):
    with pytest.raises(UnreadableDataset, match="no such file"):
        validate_file(tmp_path / "missing.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"a": 1}\n{"b": "caf\xe9"}\n')
    with pytest.raises(UnreadableDataset, match=r"latin1.jsonl:2: not UTF-8"):
        validate_file(tmp_path / "latin1.jsonl")


# -- the command ------------------------------------------------------------------------------
def test_cli_names_every_problem_with_its_line_and_exits_1(tmp_path):
    path, where = malformed_file(tmp_path)
    out = distil("dataset", "validate", str(path))
    assert out.returncode == 1, out.stderr
    for code, line in where.items():
        assert f"{path}:{line}: " in out.stdout and f": {code}: " in out.stdout, code
    assert "invalid" in out.stdout.splitlines()[-1]


def test_cli_json_report_for_a_valid_file_exits_0(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(good_lines(12)) + "\n", encoding="utf-8")
    out = distil("dataset", "validate", str(path), "--json", "--base-model",
                 "gpt-4o-mini-2024-07-18")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["valid"] and data["examples"] == 12 and data["errors"] == 0
    assert data["estimate"]["epochs"] == 8  # 12 x 3 < 100: 100 // 12
    assert data["estimate"]["price_per_million"] == 3.0
    assert data["estimate"]["billed_tokens"] == 8 * data["tokens"]["total_tokens"]
    assert data["tokens"]["exact"] is True


def test_cli_estimate_is_the_named_trainers(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(good_lines(12)) + "\n", encoding="utf-8")
    out = distil("dataset", "validate", str(path), "--json", "--trainer", "local")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["estimate"] is None  # free, local: no price to give
    out = distil("dataset", "validate", str(path), "--trainer", "local", "--n-epochs", "2")
    assert out.returncode == 2 and "--trainer local: n_epochs:" in out.stderr
    out = distil("dataset", "validate", str(path), "--trainer", "nope")
    assert out.returncode == 2 and "nope" in out.stderr and "Traceback" not in out.stderr


def test_cli_unreadable_file_exits_2(tmp_path):
    out = distil("dataset", "validate", str(tmp_path / "nope.jsonl"))
    assert out.returncode == 2
    assert "no such file" in out.stderr and "Traceback" not in out.stderr
    out = distil("dataset", "validate", str(tmp_path))
    assert out.returncode == 2 and "directory" in out.stderr
