"""The `tokens` unit: counting through tiktoken, offline from litellm's file, else a clear error.

No test here reaches the network. The happy path swaps in a byte-level encoding built in the
test (one token per UTF-8 byte); the offline paths run tiktoken's real loader with an empty
cache directory and a `read_file` that fails the way a machine without network does, with and
without the encoding file litellm ships (which `distil.text.tokens` loads first).
"""

from __future__ import annotations

import pytest
import requests
import tiktoken
import tiktoken.load
import tiktoken.registry
from pydantic import ValidationError

from distil.errors import RecipeError, UsageError
from distil.recipe import load_constraints_file
from distil.text import measure, tokens


@pytest.fixture
def fresh_encodings(monkeypatch):
    """Forget every encoding loaded so far (ours and tiktoken's), before and after."""
    tokens.require_encoding.cache_clear()
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    yield
    tokens.require_encoding.cache_clear()


@pytest.fixture
def no_network(monkeypatch, tmp_path, fresh_encodings):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))

    def fail(blobpath: str) -> bytes:
        raise requests.exceptions.ConnectionError(f"offline: cannot fetch {blobpath}")

    monkeypatch.setattr(tiktoken.load, "read_file", fail)


@pytest.fixture
def offline(monkeypatch, no_network):
    """No network, no cache and no file shipped in litellm: the encoding cannot be had."""
    monkeypatch.setattr(tokens, "bundled_dir", lambda: None)


@pytest.fixture
def byte_encoding(monkeypatch, fresh_encodings):
    ranks = {bytes([b]): b for b in range(256)}
    enc = tiktoken.Encoding(name="bytes", pat_str=r"[\s\S]", mergeable_ranks=ranks,
                            special_tokens={})
    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: enc)
    return enc


def test_tokens_unit_counts_with_the_encoding(build, byte_encoding):
    c = build("char_count", max=5, unit="tokens")
    ok = c.check("hello")
    assert ok.passed and ok.measured["count"] == 5 and ok.measured["unit"] == "tokens"
    over = c.check("日本")  # 6 UTF-8 bytes
    assert over.distance == 1
    assert over.feedback == "The text is 1 token over. Make the text a little shorter."


def test_tokens_unit_survives_special_token_text_and_lone_surrogates(build, byte_encoding):
    c = build("char_count", max=100, unit="tokens")
    assert c.check("<|endoftext|>").measured["count"] == 13
    assert c.check("a\ud800b").measured["count"] == 5  # U+FFFD is 3 bytes


def test_offline_encoding_is_a_clear_error_when_the_constraint_is_built(build, offline):
    with pytest.raises(ValidationError) as info:
        build("char_count", target=50, unit="tokens")
    message = str(info.value)
    assert "o200k_base" in message and "downloads" in message and "TIKTOKEN_CACHE_DIR" in message


def test_offline_encoding_is_a_usage_error_at_check_time(offline):
    with pytest.raises(UsageError, match="could not get"):
        measure("text", "tokens")


def test_offline_the_tokens_unit_counts_exactly_with_the_file_litellm_ships(build, no_network):
    assert tokens.bundled_file("o200k_base") is not None
    c = build("char_count", max=1, unit="tokens")
    assert c.check("hello world").measured["count"] == 2  # o200k_base: "hello", " world"
    assert measure("hello world", "tokens") == 2


def test_offline_encoding_in_a_constraints_file_names_file_and_line(tmp_path, offline):
    path = tmp_path / "checks.yaml"
    path.write_text("constraints:\n  - char_count: {max: 10}\n"
                    "  - char_count: {max: 10, unit: tokens}\n", encoding="utf-8")
    with pytest.raises(RecipeError) as info:
        load_constraints_file(path)
    assert isinstance(info.value, UsageError)
    assert "checks.yaml:3" in str(info.value) and "o200k_base" in str(info.value)


def test_unknown_encoding_name_is_refused_without_network(build):
    with pytest.raises(ValidationError, match="unknown tiktoken encoding 'o300k'"):
        build("char_count", max=10, unit="tokens", encoding="o300k")
