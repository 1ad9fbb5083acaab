"""The `openai` and `litellm` models through their real clients, against the loopback server.

Every test runs for both providers: they must behave the same to the engine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from distil.errors import ModelError, TransientModelError, UsageError
from distil.types import Message
from distil_builtin.models.api import ApiModel, share_tokens
from distil_builtin.models.litellm_api import LiteLLMModel
from distil_builtin.models.openai_api import OpenAIModel
from tests.loopback import LoopbackServer, Reply

KEY_ENV = "DISTIL_TEST_LOOPBACK_KEY"
KEY = "sk-loopback-DO-NOT-LEAK-4f9a1c"
PROVIDERS = ["openai", "openai-aiohttp", "litellm"]  # the openai model on both transports
HI = [Message("system", "Answer in three bullets."), Message("user", "Summarise: the cat sat.")]


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def make(provider: str, server: LoopbackServer, **options) -> ApiModel:
    options.setdefault("api_key_env", KEY_ENV)
    options.setdefault("timeout", 5.0)
    if provider.startswith("openai"):
        transport = provider.partition("-")[2] or "httpx"
        return OpenAIModel(model=options.pop("model", "gpt-4o-mini"), base_url=server.url,
                           transport=transport, **options)
    return LiteLLMModel(model="openai/" + options.pop("model", "gpt-4o-mini"),
                        base_url=server.url, **options)


def complete(model: ApiModel, messages=HI, params=None):
    async def go():
        try:
            return await model.complete(messages, params)
        finally:
            await model.aclose()
    return asyncio.run(go())


def fails(model: ApiModel, error: type[Exception] = TransientModelError, **kw) -> Exception:
    with pytest.raises(error) as info:
        complete(model, **kw)
    return info.value


# -- answers --------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
def test_scripted_reply_comes_back_with_usage_latency_and_cost(provider, loopback_server):
    loopback_server.enqueue(Reply("- a\n- b\n- c", prompt_tokens=1000, completion_tokens=500,
                                  latency=0.2))
    completion = complete(make(provider, loopback_server))
    assert completion.text == "- a\n- b\n- c"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (1000, 500)
    assert completion.finish_reason == "stop"
    assert completion.latency >= 0.2
    # gpt-4o-mini: $0.15 / $0.60 per million tokens in litellm's bundled map
    assert completion.cost == pytest.approx(1000 * 0.15e-6 + 500 * 0.60e-6)
    assert completion.raw is not None and completion.raw["choices"][0]["message"]["content"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_request_carries_messages_params_and_the_key(provider, loopback_server):
    model = make(provider, loopback_server, params={"temperature": 0.2, "max_tokens": 64})
    complete(model, params={"temperature": 0.7, "seed": 11, "_doc_id": "doc-1"})
    (request,) = loopback_server.chat_requests
    sent = request.json
    assert sent["model"] == "gpt-4o-mini"
    assert sent["messages"] == [m.to_dict() for m in HI]
    assert (sent["temperature"], sent["max_tokens"], sent["seed"]) == (0.7, 64, 11)
    assert "_doc_id" not in sent  # distil's reserved params never go on the wire
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers.get("x-stainless-retry-count", "0") == "0"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_empty_content_and_length_are_answers_not_errors(provider, loopback_server):
    loopback_server.enqueue(Reply.empty(), Reply.length("half a sen"))
    model = make(provider, loopback_server)
    empty = complete(model)
    cut = complete(model)
    assert (empty.text, empty.finish_reason) == ("", "stop")
    assert (cut.text, cut.finish_reason) == ("half a sen", "length")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_content_filter_without_text_is_a_permanent_failure(provider, loopback_server):
    loopback_server.enqueue(Reply.content_filter(), Reply.content_filter("partial answer"))
    model = make(provider, loopback_server)
    error = fails(model, ModelError)
    assert not isinstance(error, TransientModelError)
    assert "content filter" in str(error)
    kept = complete(model)  # some text survived: it is returned for the checks to judge
    assert (kept.text, kept.finish_reason) == ("partial answer", "content_filter")


# -- failures -------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_with_retry_after_seconds(provider, loopback_server):
    loopback_server.enqueue(Reply.rate_limited(7))
    error = fails(make(provider, loopback_server))
    assert error.retry_after == 7
    assert "429" in str(error)
    assert len(loopback_server.chat_requests) == 1  # the client itself did not retry


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_with_retry_after_http_date(provider, loopback_server):
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    loopback_server.enqueue(Reply.rate_limited(email.utils.format_datetime(when, usegmt=True)))
    error = fails(make(provider, loopback_server))
    assert 25 <= error.retry_after <= 31


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(provider, status, loopback_server):
    loopback_server.enqueue(Reply.server_error(status))
    error = fails(make(provider, loopback_server))
    assert str(status) in str(error)
    assert len(loopback_server.chat_requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_hang_past_the_timeout_is_transient(provider, loopback_server):
    loopback_server.enqueue(Reply.hang())
    started = time.perf_counter()
    error = fails(make(provider, loopback_server, timeout=0.4))
    assert "timed out" in str(error)
    assert 0.35 <= time.perf_counter() - started < 3


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fault", [Reply.drop(), Reply.malformed(),
                                   Reply(body={"object": "chat.completion", "choices": []})],
                         ids=["dropped", "malformed-json", "no-choices"])
def test_broken_responses_are_transient(provider, fault, loopback_server):
    loopback_server.enqueue(fault)
    fails(make(provider, loopback_server))


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [400, 401, 404])
def test_client_errors_are_permanent(provider, status, loopback_server):
    loopback_server.enqueue(Reply.http_error(status))
    error = fails(make(provider, loopback_server), ModelError)
    assert not isinstance(error, TransientModelError)
    assert str(status) in str(error)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unreachable_server_is_transient(provider):
    with LoopbackServer() as server:
        model = make(provider, server)
    fails(model)  # the port is closed now: connection refused


# -- the key --------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_key_never_shows(provider, loopback_server):
    loopback_server.enqueue(Reply("fine"),
                            Reply.http_error(401, f"Incorrect API key provided: {KEY}."))
    model = make(provider, loopback_server)
    complete(model)
    error = fails(model, ModelError)
    assert KEY not in str(error) and "[redacted]" in str(error)
    for text in (model.model_dump_json(), repr(model), str(model), str(model.model_dump())):
        assert KEY not in text
    assert KEY_ENV in model.model_dump_json()  # the variable's name is what a recipe stores


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_key_is_read_at_call_time(provider, loopback_server, monkeypatch):
    model = make(provider, loopback_server)

    async def twice():
        await model.complete(HI)
        monkeypatch.setenv(KEY_ENV, "sk-rotated")
        await model.complete(HI)
        await model.aclose()

    asyncio.run(twice())
    sent = [r.headers["authorization"] for r in loopback_server.chat_requests]
    assert sent == [f"Bearer {KEY}", "Bearer sk-rotated"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_missing_key_variable_is_a_usage_error(provider, loopback_server, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    error = fails(make(provider, loopback_server), UsageError)
    assert KEY_ENV in str(error)
    assert loopback_server.chat_requests == []


def test_aiohttp_without_its_package_is_a_usage_error(loopback_server, monkeypatch):
    monkeypatch.setitem(sys.modules, "httpx_aiohttp", None)  # as if not installed
    error = fails(make("openai-aiohttp", loopback_server), UsageError)
    assert "httpx-aiohttp" in str(error) and "transport: httpx" in str(error)
    assert loopback_server.chat_requests == []


def test_the_default_transport_is_aiohttp():
    assert OpenAIModel(model="gpt-4o-mini").transport == "aiohttp"


def test_a_key_in_place_of_the_variable_name_is_refused_without_echo():
    with pytest.raises(ValueError) as info:
        OpenAIModel(model="gpt-4o-mini", api_key_env=KEY)
    assert "environment variable" in str(info.value)
    assert KEY not in str(info.value)


# -- openai-specific ----------------------------------------------------------------------------
def test_openai_sends_unknown_sampling_params_in_the_body(loopback_server):
    model = make("openai", loopback_server, params={"top_k": 5, "repetition_penalty": 1.1})
    complete(model)
    sent = loopback_server.chat_requests[0].json
    assert (sent["top_k"], sent["repetition_penalty"]) == (5, 1.1)


def test_openai_without_a_key_variable_talks_to_local_servers(loopback_server):
    model = OpenAIModel(model="llama3", base_url=loopback_server.url, api_key_env=None)
    assert complete(model).text == "Summarise: the cat sat."  # the server echoes by default
    assert loopback_server.chat_requests[0].headers["authorization"] == "Bearer not-needed"


@pytest.mark.parametrize("provider", ["openai", "openai-aiohttp"])
def test_one_model_serves_concurrent_requests(provider, loopback_server):
    loopback_server.latency = 0.3
    model = make(provider, loopback_server)

    async def many():
        try:
            return await asyncio.gather(*(
                model.complete([Message("user", f"doc {i}")]) for i in range(32)))
        finally:
            await model.aclose()

    started = time.perf_counter()
    answers = asyncio.run(many())
    assert [a.text for a in answers] == [f"doc {i}" for i in range(32)]
    assert loopback_server.max_in_flight == 32  # all at once: the proof of concurrency
    assert time.perf_counter() - started < 8.0  # sequential would take 9.6 s (loose: CI load)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_the_connection_pool_is_sized_to_max_concurrency(transport, loopback_server):
    import httpx_aiohttp

    loopback_server.latency = 0.2
    model = make(f"openai-{transport}", loopback_server, max_concurrency=4)

    async def many():
        try:
            answers = await asyncio.gather(*(
                model.complete([Message("user", f"doc {i}")]) for i in range(12)))
            http = model._client._client  # the SDK's HTTP client under AsyncOpenAI
            return answers, isinstance(http, httpx_aiohttp.HttpxAiohttpClient)
        finally:
            await model.aclose()

    answers, on_aiohttp = asyncio.run(many())
    assert [a.text for a in answers] == [f"doc {i}" for i in range(12)]
    assert on_aiohttp == (transport == "aiohttp")
    assert loopback_server.max_in_flight == 4  # the engine's slot is not in play here


def test_cache_identity_names_the_server_not_the_key(loopback_server):
    identity = make("openai", loopback_server).cache_identity()
    assert identity["base_url"] == loopback_server.url
    assert KEY not in str(identity)


# -- several choices from one request (the API's `n`) ----------------------------------------
def complete_n(model: ApiModel, n: int, params=None):
    async def go():
        try:
            return await model.complete_n(HI, n, params)
        finally:
            await model.aclose()
    return asyncio.run(go())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_n_choices_come_back_with_the_usage_shared_out(provider, loopback_server):
    texts = ["- one", "- a longer second answer", ""]
    loopback_server.enqueue(Reply(texts, prompt_tokens=1000, completion_tokens=301))
    model = make(provider, loopback_server)
    assert model.supports_n()
    got = complete_n(model, 3)
    assert loopback_server.chat_requests[-1].json["n"] == 3
    assert [c.text for c in got] == texts
    # the prompt is paid once, on the first candidate; the output by length; nothing lost
    assert [c.usage.prompt_tokens for c in got] == [1000, 0, 0]
    shares = [c.usage.completion_tokens for c in got]
    assert sum(shares) == 301 and shares[1] > shares[0] > shares[2] == 0
    assert sum(c.cost for c in got) == pytest.approx(1000 * 0.15e-6 + 301 * 0.60e-6)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_content_filtered_choice_is_dropped_and_an_all_filtered_answer_fails(
        provider, loopback_server):
    loopback_server.enqueue(Reply([None, None], finish_reason="content_filter"))
    with pytest.raises(ModelError, match="content filter"):
        complete_n(make(provider, loopback_server), 2)


def test_litellm_asks_for_n_only_where_the_provider_takes_it():
    assert LiteLLMModel(model="openai/gpt-4o-mini").supports_n()
    assert not LiteLLMModel(model="anthropic/claude-sonnet-4-5").supports_n()


@given(st.integers(0, 10_000), st.lists(st.integers(0, 500), min_size=1, max_size=8))
def test_shared_out_tokens_add_up_and_follow_the_lengths(total, lengths):
    shares = share_tokens(total, lengths)
    assert sum(shares) == total and all(s >= 0 for s in shares)
    weights = lengths if any(lengths) else [1] * len(lengths)
    for share, weight in zip(shares, weights):
        assert abs(share - total * weight / sum(weights)) < 1  # off by at most the rounding
