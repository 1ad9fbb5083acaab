"""Write a PEFT LoRA adapter as a GGUF LoRA adapter that llama.cpp loads over the base GGUF.

llama.cpp applies a LoRA adapter file on top of a base model it has already loaded
(`llama-server -m base.gguf --lora adapter.gguf`, llama-cpp-python
`Llama(model_path=base, lora_path=adapter.gguf)`). Such a file holds, for every adapted weight
`W` of the base file (say `blk.3.attn_q.weight`), the two LoRA factors as tensors named
`blk.3.attn_q.weight.lora_a` and `.lora_b`, and metadata that marks it as an adapter
(`general.type = adapter`, `adapter.type = lora`, `adapter.lora.alpha`) for the base's
`general.architecture`. llama.cpp scales the product by `alpha / rank`, as peft does.

What makes a conversion right, and why each step is here:

- **Names come from the base file.** The HF module name `model.layers.N.self_attn.q_proj` is
  mapped to its GGUF name with the `gguf` package's own table for the architecture, and the
  result must be a tensor the base file really holds; anything else is refused, naming the
  module, because llama.cpp would otherwise fail at load or silently skip it.
- **Shapes need no transposition.** peft stores `lora_A` as (rank, in) and `lora_B` as
  (out, rank), row-major. GGUF lists dimensions the other way round, so written as they are,
  A is `[in, rank]` and B is `[rank, out]` in ggml's order: the `in` of A and the `out` of B
  match the base weight's `[in, out]`, which is what llama.cpp checks.
- **Llama's query and key rows are permuted in GGUF.** llama.cpp's own HF converter reorders
  the rows of `q_proj` and `k_proj` (per head, the two rotary halves interleaved) for the
  `llama` architecture, and transformers undoes that when it dequantises a GGUF for training.
  The output rows of the update `B @ A` are the rows of `B`, so `B` gets the same reordering.
- **Only projections are adapted.** Embeddings and the output head are not LoRA targets in
  distil's trainer, and a target outside the table is refused rather than guessed.

The tensors are written as float32: an adapter is a few megabytes, and llama.cpp runs F32
LoRA factors over any quantisation of the base.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from distil.errors import UsageError
from distil_builtin.transformers_runtime import require

ADAPTER_FILE = "adapter.gguf"

# Architectures whose GGUF q/k rows are reordered by llama.cpp's converter (its LlamaModel).
PERMUTED_QK_ARCHITECTURES = frozenset({"llama"})

_PEFT_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<part>[AB])"
                       r"(?:\.[^.]+)?\.weight$")


def base_tensor_names(base_gguf: Path) -> tuple[str, set[str], dict[str, Any]]:
    """The base file's architecture, tensor names, and the metadata the mapping needs.

    `GGUFReader` parses the whole vocabulary in Python (about 10 s for SmolLM2 on an idle
    2-core machine, 50 s on a busy one), so the answer is kept per file, size and mtime.
    """
    stat = Path(base_gguf).stat()
    return _read_base(str(Path(base_gguf).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _read_base(base_gguf: str, size: int, mtime_ns: int) -> tuple[str, set[str], dict]:
    gguf = require("gguf")
    reader = gguf.GGUFReader(base_gguf)

    def value(key: str) -> Any:
        field = reader.fields.get(key)
        return field.contents() if field is not None else None

    architecture = value("general.architecture")
    if not architecture:
        raise UsageError(f"{base_gguf}: no general.architecture in the GGUF metadata")
    info = {
        "blocks": value(f"{architecture}.block_count"),
        "heads": value(f"{architecture}.attention.head_count"),
        "kv_heads": value(f"{architecture}.attention.head_count_kv"),
    }
    return architecture, {t.name for t in reader.tensors}, info


def permute_rows(weight: Any, heads: int) -> Any:
    """Reorder output rows as llama.cpp's converter does for a Llama query/key projection."""
    rows = weight.shape[0]
    return (weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def read_peft_adapter(adapter_dir: Path) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """peft's adapter config and {module name: (lora_A, lora_B)} as float32 numpy arrays."""
    import json

    safetensors = require("safetensors.numpy")
    config_file = adapter_dir / "adapter_config.json"
    weights_file = adapter_dir / "adapter_model.safetensors"
    if not config_file.is_file() or not weights_file.is_file():
        raise UsageError(f"{adapter_dir}: not a peft adapter folder (adapter_config.json and "
                         "adapter_model.safetensors are needed)")
    config = json.loads(config_file.read_text(encoding="utf-8"))
    if config.get("peft_type", "LORA") != "LORA":
        raise UsageError(f"{config_file}: peft_type {config.get('peft_type')!r} is not LORA")
    pairs: dict[str, dict[str, Any]] = {}
    for key, tensor in safetensors.load_file(str(weights_file)).items():
        match = _PEFT_KEY.match(key)
        if match is None:
            raise UsageError(f"{weights_file}: tensor {key!r} is not a LoRA factor; only LoRA "
                             "adapters of linear layers convert to GGUF")
        pairs.setdefault(match["module"], {})[match["part"]] = tensor.astype("float32")
    incomplete = sorted(m for m, p in pairs.items() if set(p) != {"A", "B"})
    if incomplete:
        raise UsageError(f"{weights_file}: {incomplete[0]} lacks lora_A or lora_B")
    return config, {m: (p["A"], p["B"]) for m, p in sorted(pairs.items())}


def gguf_tensors(modules: dict[str, tuple[Any, Any]], architecture: str, names: set[str],
                 info: dict[str, Any], base_label: str) -> dict[str, tuple[Any, Any]]:
    """{GGUF weight name: (A, B)}, mapped through the base file; unknown modules refused."""
    gguf = require("gguf")
    arch = {name: key for key, name in gguf.MODEL_ARCH_NAMES.items()}.get(architecture)
    if arch is None:
        raise UsageError(f"{base_label}: architecture {architecture!r} is unknown to the gguf "
                         "package; cannot name its LoRA tensors")
    table = gguf.get_tensor_name_map(arch, int(info["blocks"] or 0))
    out: dict[str, tuple[Any, Any]] = {}
    for module, (a, b) in modules.items():
        mapped = table.get_name(module)
        target = f"{mapped}.weight" if mapped else None
        if target is None or target not in names:
            raise UsageError(f"{base_label}: LoRA target module {module!r} has no counterpart "
                             f"in the base GGUF (looked for {target or 'a mapped name'}); "
                             "adapt only linear projections the GGUF file holds")
        if architecture in PERMUTED_QK_ARCHITECTURES:
            if target.endswith(".attn_q.weight"):
                b = permute_rows(b, int(info["heads"]))
            elif target.endswith(".attn_k.weight"):
                b = permute_rows(b, int(info["kv_heads"] or info["heads"]))
        out[target] = (a, b)
    return out


def write_gguf_adapter(adapter_dir: Path, base_gguf: Path, output: Path) -> Path:
    """Convert the peft adapter in `adapter_dir` for `base_gguf`; returns `output`."""
    gguf = require("gguf")
    config, modules = read_peft_adapter(adapter_dir)
    if not modules:
        raise UsageError(f"{adapter_dir}: the adapter has no LoRA tensors")
    architecture, names, info = base_tensor_names(base_gguf)
    tensors = gguf_tensors(modules, architecture, names, info, str(base_gguf))
    writer = gguf.GGUFWriter(str(output), arch=architecture)
    writer.add_string("general.type", "adapter")
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    writer.add_name(f"distil LoRA adapter for {base_gguf.name}")
    for name, (a, b) in tensors.items():
        writer.add_tensor(f"{name}.lora_a", a)
        writer.add_tensor(f"{name}.lora_b", b)
    output.parent.mkdir(parents=True, exist_ok=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return output
