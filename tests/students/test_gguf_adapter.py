"""The peft -> GGUF LoRA converter on small hand-made files: names, shapes, values, metadata,
and the refusals. (That llama.cpp computes with the result what transformers computes is
checked on the real SmolLM2 in test_gguf_agreement.py, marked slow.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

gguf = pytest.importorskip("gguf")
np = pytest.importorskip("numpy")
pytest.importorskip("safetensors")

from distil_builtin.trainers.gguf_adapter import permute_rows, write_gguf_adapter

from distil.errors import UsageError

HIDDEN, KV, HEADS, KV_HEADS, RANK = 8, 4, 2, 1, 2
SHAPES = {"attn_q": (HIDDEN, HIDDEN), "attn_k": (KV, HIDDEN), "attn_v": (KV, HIDDEN),
          "ffn_down": (HIDDEN, 16)}
MODULES = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn",
           "down_proj": "mlp"}


def fake_base(path: Path, *, architecture: str = "llama", drop: str | None = None) -> Path:
    """A two-block GGUF 'model' with just the tensors the mapping looks at."""
    writer = gguf.GGUFWriter(str(path), arch=architecture)
    writer.add_block_count(2)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    for block in range(2):
        for name, (out, inp) in SHAPES.items():
            if name != drop:
                writer.add_tensor(f"blk.{block}.{name}.weight",
                                  np.zeros((out, inp), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def fake_adapter(folder: Path, modules=MODULES, alpha: float = 16.0) -> dict[str, np.ndarray]:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    tensors = {}
    shapes = {"q_proj": (HIDDEN, HIDDEN), "k_proj": (KV, HIDDEN), "v_proj": (KV, HIDDEN),
              "down_proj": (HIDDEN, 16)}
    for block in range(2):
        for module, parent in modules.items():
            out, inp = shapes[module]
            prefix = f"base_model.model.model.layers.{block}.{parent}.{module}"
            tensors[f"{prefix}.lora_A.weight"] = rng.standard_normal((RANK, inp)).astype("f4")
            tensors[f"{prefix}.lora_B.weight"] = rng.standard_normal((out, RANK)).astype("f4")
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps(
        {"peft_type": "LORA", "r": RANK, "lora_alpha": alpha}))
    return tensors


def read(path: Path) -> tuple[dict, dict]:
    reader = gguf.GGUFReader(str(path))
    fields = {k: f.contents() for k, f in reader.fields.items()}
    # GGUFReader reports ggml's dimension order; numpy data comes back row-major as written
    tensors = {t.name: (list(map(int, t.shape)), np.array(t.data)) for t in reader.tensors}
    return fields, tensors


def test_names_shapes_values_and_metadata(tmp_path):
    base = fake_base(tmp_path / "base.gguf")
    peft = fake_adapter(tmp_path / "adapter")
    out = write_gguf_adapter(tmp_path / "adapter", base, tmp_path / "adapter.gguf")
    fields, tensors = read(out)
    assert fields["general.type"] == "adapter"
    assert fields["adapter.type"] == "lora"
    assert fields["adapter.lora.alpha"] == 16.0
    assert fields["general.architecture"] == "llama"
    assert len(tensors) == 2 * 2 * len(MODULES)
    # ggml order: A is [in, rank] and B is [rank, out], matching the base weight's [in, out]
    assert tensors["blk.1.ffn_down.weight.lora_a"][0] == [16, RANK]
    assert tensors["blk.1.ffn_down.weight.lora_b"][0] == [RANK, HIDDEN]
    prefix = "base_model.model.model.layers.1"
    np.testing.assert_array_equal(tensors["blk.1.attn_v.weight.lora_a"][1],
                                  peft[f"{prefix}.self_attn.v_proj.lora_A.weight"])
    np.testing.assert_array_equal(tensors["blk.1.attn_v.weight.lora_b"][1],
                                  peft[f"{prefix}.self_attn.v_proj.lora_B.weight"])
    np.testing.assert_array_equal(tensors["blk.1.ffn_down.weight.lora_b"][1],
                                  peft[f"{prefix}.mlp.down_proj.lora_B.weight"])


def test_llama_query_and_key_rows_are_reordered_like_the_base(tmp_path):
    base = fake_base(tmp_path / "base.gguf")
    peft = fake_adapter(tmp_path / "adapter")
    _, tensors = read(write_gguf_adapter(tmp_path / "adapter", base, tmp_path / "a.gguf"))
    prefix = "base_model.model.model.layers.0.self_attn"
    q_b, k_b = peft[f"{prefix}.q_proj.lora_B.weight"], peft[f"{prefix}.k_proj.lora_B.weight"]
    np.testing.assert_array_equal(tensors["blk.0.attn_q.weight.lora_b"][1],
                                  permute_rows(q_b, HEADS))
    np.testing.assert_array_equal(tensors["blk.0.attn_k.weight.lora_b"][1],
                                  permute_rows(k_b, KV_HEADS))
    assert not np.array_equal(permute_rows(q_b, HEADS), q_b)
    # A (the input side) is never reordered
    np.testing.assert_array_equal(tensors["blk.0.attn_q.weight.lora_a"][1],
                                  peft[f"{prefix}.q_proj.lora_A.weight"])


def test_permute_rows_interleaves_the_rotary_halves_of_each_head():
    rows = np.arange(8).reshape(8, 1)
    # two heads of four rows: [0 1 | 2 3] -> 0 2 1 3, per head
    assert permute_rows(rows, 2).ravel().tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_other_architectures_keep_their_rows(tmp_path):
    base = fake_base(tmp_path / "base.gguf", architecture="qwen2")
    peft = fake_adapter(tmp_path / "adapter")
    _, tensors = read(write_gguf_adapter(tmp_path / "adapter", base, tmp_path / "a.gguf"))
    np.testing.assert_array_equal(
        tensors["blk.0.attn_q.weight.lora_b"][1],
        peft["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"])


def test_a_target_the_base_file_lacks_is_refused(tmp_path):
    base = fake_base(tmp_path / "base.gguf", drop="ffn_down")
    fake_adapter(tmp_path / "adapter")
    with pytest.raises(UsageError, match=r"'model\.layers\.0\.mlp\.down_proj' has no "
                                         r"counterpart in the base GGUF.*blk\.0\.ffn_down"):
        write_gguf_adapter(tmp_path / "adapter", base, tmp_path / "a.gguf")
    assert not (tmp_path / "a.gguf").exists()


def test_a_module_outside_the_name_table_is_refused(tmp_path):
    base = fake_base(tmp_path / "base.gguf")
    fake_adapter(tmp_path / "adapter", modules={"q_proj": "strange_block"})
    with pytest.raises(UsageError, match="strange_block.q_proj' has no counterpart"):
        write_gguf_adapter(tmp_path / "adapter", base, tmp_path / "a.gguf")


def test_a_folder_without_an_adapter_is_refused(tmp_path):
    base = fake_base(tmp_path / "base.gguf")
    with pytest.raises(UsageError, match="not a peft adapter folder"):
        write_gguf_adapter(tmp_path, base, tmp_path / "a.gguf")
