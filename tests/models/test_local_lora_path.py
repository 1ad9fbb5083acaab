"""The `local` model's `lora_path`: a GGUF LoRA adapter over the shipped SmolLM2 GGUF.

The adapter is made on the spot (random factors for two value projections, written by the
trainer's converter against the real base file), so these tests need no training.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("gguf")
pytest.importorskip("safetensors")
pytest.importorskip("llama_cpp")

from distil_builtin.models.local import LocalModel, shipped_model_path
from distil_builtin.trainers.gguf_adapter import write_gguf_adapter

from distil.errors import UsageError
from distil.types import Message

PROMPT = (Message("user", "What is the capital city of France?"),)
GREEDY = {"temperature": 0, "seed": 42, "max_tokens": 8}


def make_adapter(folder: Path, scale: float, seed: int = 0) -> Path:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    tensors = {}
    for block in (0, 1):
        prefix = f"base_model.model.model.layers.{block}.self_attn.v_proj"
        tensors[f"{prefix}.lora_A.weight"] = (scale * rng.standard_normal((4, 576))).astype("f4")
        tensors[f"{prefix}.lora_B.weight"] = (scale * rng.standard_normal((192, 4))).astype("f4")
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 4,
                                                            "lora_alpha": 8}))
    return write_gguf_adapter(folder, shipped_model_path("smollm2"), folder / "adapter.gguf")


@pytest.fixture(scope="module")
def adapter(tmp_path_factory) -> Path:
    return make_adapter(tmp_path_factory.mktemp("lora"), scale=1.0)


@pytest.mark.slow
def test_the_adapter_changes_the_answer_and_is_loaded_once_per_pair(adapter):
    base = LocalModel(params=GREEDY)
    student = LocalModel(lora_path=str(adapter), params=GREEDY)
    assert student._shared() is LocalModel(lora_path=str(adapter))._shared()
    assert student._shared() is not base._shared()
    assert student._shared().llama.lora_path == str(adapter.resolve())
    base_text = asyncio.run(base.complete(PROMPT)).text
    student_text = asyncio.run(student.complete(PROMPT)).text
    assert student_text != base_text


def test_cache_identity_names_the_adapter_by_its_bytes(adapter, tmp_path):
    base = LocalModel().cache_identity()
    student = LocalModel(lora_path=str(adapter)).cache_identity()
    assert "lora" not in base
    assert student["lora"]["file"] == "adapter.gguf"
    assert {k: v for k, v in student.items() if k != "lora"} == base
    other = tmp_path / "adapter.gguf"  # same name and size, one byte of a factor changed
    data = bytearray(adapter.read_bytes())
    data[-1] ^= 1
    other.write_bytes(bytes(data))
    assert LocalModel(lora_path=str(other)).cache_identity()["lora"] != student["lora"]


def test_a_relative_lora_path_is_taken_from_the_recipe_folder(adapter):
    from distil.validation_context import (
        plugin_context,  # what the recipe loader passes
    )

    model = LocalModel.model_validate({"lora_path": f"{adapter.parent.name}/adapter.gguf"},
                                      context=plugin_context(base_dir=adapter.parent.parent))
    assert model.resolved_lora() == adapter.resolve()


def test_a_missing_adapter_is_a_usage_error_naming_it(tmp_path):
    model = LocalModel(lora_path=str(tmp_path / "nowhere" / "adapter.gguf"))
    with pytest.raises(UsageError, match="LoRA adapter file not found: .*nowhere/adapter.gguf"):
        model.cache_identity()


def test_an_adapter_that_does_not_fit_the_base_is_a_usage_error(tmp_path):
    bogus = tmp_path / "adapter.gguf"
    bogus.write_bytes(b"GGUF not really")
    with pytest.raises(UsageError, match="cannot load .* with the LoRA adapter .*adapter.gguf"):
        LocalModel(lora_path=str(bogus))._shared()


def test_an_adapter_for_another_base_is_a_usage_error(tmp_path):
    """Shapes that do not fit the base: llama.cpp refuses, and distil says so."""
    from tests.students.test_gguf_adapter import fake_adapter, fake_base

    base = fake_base(tmp_path / "small.gguf")
    fake_adapter(tmp_path / "peft")
    small = write_gguf_adapter(tmp_path / "peft", base, tmp_path / "small-adapter.gguf")
    with pytest.raises(UsageError, match="llama.cpp refused the adapter"):
        LocalModel(lora_path=str(small))._shared()
