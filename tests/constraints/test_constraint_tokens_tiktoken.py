"""`unit: tokens` meets the real tiktoken, offline.

litellm's wheel ships tiktoken's `o200k_base`, `cl100k_base` and `p50k_base` files; distil finds
them without network, so a constraint counting tokens works on a machine that cannot download.
Here every download fails and tiktoken's own cache is empty: a `char_count` in tokens must still
be built, and on any text it must count exactly what tiktoken's encoding (loaded from that same
shipped file, through tiktoken's own loader and its hash check) counts in the text's NFC
form (every distil unit counts the composed form, so "e" + U+0301 is counted as "é").
"""

from __future__ import annotations

import functools
import unicodedata

import pytest
import requests
import tiktoken
import tiktoken.load
import tiktoken.registry
from hypothesis import given, settings
from hypothesis import strategies as st
from tiktoken_ext.openai_public import ENCODING_CONSTRUCTORS

from distil.packages import package_data
from distil.plugins import get_host
from distil.text import tokens as text_tokens

SHIPPED = ("o200k_base", "cl100k_base", "p50k_base")


def no_network(blobpath: str) -> bytes:
    raise requests.exceptions.ConnectionError(f"offline: cannot fetch {blobpath}")


@functools.cache
def reference(name: str) -> tiktoken.Encoding:
    """tiktoken's `name`, built by tiktoken from the file litellm ships (hash checked)."""
    folder = package_data("litellm", "litellm_core_utils", "tokenizers", directory=True)
    assert folder is not None, "litellm's wheel ships tiktoken's files; is litellm installed?"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", str(folder))
        mp.setattr(tiktoken.load, "read_file", no_network)
        return tiktoken.Encoding(**ENCODING_CONSTRUCTORS[name]())


@pytest.fixture(scope="module")
def offline_constraints(tmp_path_factory):
    """A `char_count` in tokens per shipped encoding, built with no network and no cache."""
    expected = {name: reference(name) for name in SHIPPED}  # before the network goes
    text_tokens.require_encoding.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path_factory.mktemp("empty-tiktoken-cache")))
        mp.setattr(tiktoken.load, "read_file", no_network)
        mp.setattr(tiktoken.registry, "ENCODINGS", {})  # nothing loaded in this process yet
        cls = get_host().get("constraint", "char_count")
        built = {name: cls.model_validate({"max": 12, "unit": "tokens", "encoding": name})
                 for name in SHIPPED}
        yield built, expected
    text_tokens.require_encoding.cache_clear()


def test_the_shipped_encodings_are_found_without_network(offline_constraints):
    built, _ = offline_constraints
    # tiktoken's own figures for these texts, not one token per byte or an estimate
    assert built["o200k_base"].check("Hello, world!").measured["count"] == 4
    assert built["cl100k_base"].check("Hello, world!").measured["count"] == 4
    for name in SHIPPED:
        assert built[name].check("").measured["count"] == 0


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SHIPPED), st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(["東京", "で", "大雨", "。", "hello", " world", "<|endoftext|>",
                              "\n", "🙂", "e\u0301"]), max_size=20).map("".join)))
def test_token_counts_are_tiktokens_and_the_verdict_follows_them(offline_constraints, name,
                                                                 text):
    built, expected = offline_constraints
    verdict = built[name].check(text)
    count = len(expected[name].encode_ordinary(unicodedata.normalize("NFC", text)))
    assert verdict.measured["count"] == count and verdict.measured["unit"] == "tokens"
    assert verdict.passed == (count <= 12)
    assert verdict.distance == max(0, count - 12)
