"""Fold a PEFT LoRA adapter into its base GGUF: one self-contained GGUF file of the student.

A merged file runs anywhere GGUF runs (llama.cpp, llama-cpp-python, Ollama's `FROM`, LM
Studio) with no adapter to carry beside it. It is written from the base GGUF itself, not from
transformers' dequantised copy, so everything the base file says about itself comes along:
the tokenizer (vocabulary, merges, token types, special token ids), the chat template, the
architecture's hyper-parameters and the rest of the metadata.

How each tensor is written:

- **Adapted weights** (those the adapter has factors for): the base tensor is dequantised with
  the `gguf` package, the update `(alpha / r) * B @ A` is added (the same names, shapes and
  llama query/key row order as `gguf_adapter.py` uses for `adapter.gguf`), and the sum is
  written in the chosen type.
- **Other matrices** (embeddings, the output head, unadapted projections): dequantised and
  written in the chosen type too, so the whole file is one type, as its name says.
- **Vectors** (norms, biases): copied as they are (float32 in every llama.cpp conversion).

The type is `q8_0` by default: 8.5 bits a weight, about half the size of `f16`, and on the
CPU llama.cpp runs it faster than f16. The base (SmolLM2's Q4_1) is already coarser than
Q8_0, so Q8_0 loses next to nothing against it; `f16` is the choice when the file is to be
quantised again by another tool. A Q8_0 row must be a multiple of 32 long; a matrix whose rows
are not is written as f16 (as llama.cpp's converter does).

Tensors are dequantised, merged and written one at a time, so memory stays at about one
matrix, not the model, and the file is written under a temporary name and renamed into place:
a failure leaves the previous file (if any) as it was.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from distil.errors import UsageError
from distil_builtin.trainers.gguf_adapter import base_tensor_names, gguf_tensors, read_peft_adapter
from distil_builtin.transformers_runtime import require

MERGED_FILE = "student.gguf"
GgufType = Literal["q8_0", "f16"]
GGUF_TYPES: tuple[str, ...] = ("q8_0", "f16")
DEFAULT_GGUF_TYPE: GgufType = "q8_0"

Delta = Callable[[str, Any], Any]  # (tensor name, base weight as float32) -> merged weight


def lora_deltas(adapter_dir: Path, base_gguf: Path) -> dict[str, tuple[Any, Any, float]]:
    """{GGUF weight name: (A, B, scale)} for the adapter over `base_gguf`; B in GGUF row order."""
    config, modules = read_peft_adapter(adapter_dir)
    for key in ("use_dora", "rank_pattern", "alpha_pattern"):
        if config.get(key):
            raise UsageError(f"{adapter_dir / 'adapter_config.json'}: {key} is not supported "
                             "when merging into a GGUF")
    architecture, names, info = base_tensor_names(base_gguf)
    tensors = gguf_tensors(modules, architecture, names, info, str(base_gguf))
    alpha = float(config["lora_alpha"])
    out = {}
    for name, (a, b) in tensors.items():
        rank = a.shape[0]
        scale = alpha / math.sqrt(rank) if config.get("use_rslora") else alpha / rank
        out[name] = (a, b, scale)
    return out


def write_merged_gguf(adapter_dir: Path, base_gguf: Path, output: Path,
                      gguf_type: GgufType = DEFAULT_GGUF_TYPE,
                      metadata: dict[str, Any] | None = None) -> Path:
    """The base GGUF with the peft adapter in `adapter_dir` merged in, written to `output`.

    `metadata` adds string, integer or float keys (distil's own, under `distil.`).
    """
    deltas = lora_deltas(adapter_dir, base_gguf)
    if not deltas:
        raise UsageError(f"{adapter_dir}: the adapter has no LoRA tensors")

    def merge(name: str, weight: Any) -> Any:
        if name not in deltas:
            return weight
        a, b, scale = deltas[name]
        return weight + scale * (b @ a)

    return rewrite_gguf(base_gguf, output, merge, gguf_type, metadata or {},
                        name_suffix=" (distil student)")


def rewrite_gguf(base_gguf: Path, output: Path, delta: Delta, gguf_type: GgufType,
                 metadata: dict[str, Any], name_suffix: str = "") -> Path:
    """Write `base_gguf` again as `gguf_type`, each matrix passed through `delta` first."""
    gguf = require("gguf")
    np = require("numpy")
    if gguf_type not in GGUF_TYPES:
        raise UsageError(f"GGUF type {gguf_type!r}: choose one of {', '.join(GGUF_TYPES)}")
    reader = gguf.GGUFReader(str(base_gguf))
    architecture = reader.fields["general.architecture"].contents()
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    output.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(tmp), arch=architecture)
    try:
        _copy_metadata(gguf, reader, writer, gguf_type, metadata, name_suffix)
        plans = []
        for tensor in reader.tensors:
            qtype = _target_type(gguf, tensor, gguf_type)
            shape = [int(d) for d in reversed(tensor.shape)]  # numpy order: (rows, columns)
            _add_info(gguf, np, writer, tensor.name, shape, qtype)
            plans.append((tensor, qtype, shape))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for tensor, qtype, shape in plans:
            writer.write_tensor_data(_encode(gguf, np, tensor, qtype, shape, delta))
        writer.close()
        os.replace(tmp, output)
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return output


def _target_type(gguf: Any, tensor: Any, gguf_type: GgufType) -> Any:
    types = gguf.GGMLQuantizationType
    if len(tensor.shape) < 2:
        return tensor.tensor_type  # vectors are copied as they are
    if gguf_type == "q8_0" and int(tensor.shape[0]) % 32 == 0:
        return types.Q8_0
    return types.F16


def _add_info(gguf: Any, np: Any, writer: Any, name: str, shape: list[int], qtype: Any) -> None:
    """Announce a tensor before the data: plain floats by element, quantised ones by byte."""
    plain = {"F32": np.float32, "F16": np.float16}.get(qtype.name)
    if plain is not None:
        writer.add_tensor_info(name, shape, np.dtype(plain),
                               int(np.prod(shape)) * np.dtype(plain).itemsize)
        return
    byte_shape = gguf.quants.quant_shape_to_byte_shape(shape, qtype)
    writer.add_tensor_info(name, byte_shape, np.dtype(np.uint8), int(np.prod(byte_shape)),
                           raw_dtype=qtype)


def _encode(gguf: Any, np: Any, tensor: Any, qtype: Any, shape: list[int],
            delta: Delta) -> Any:
    if len(tensor.shape) < 2:
        return np.asarray(tensor.data)
    weight = gguf.quants.dequantize(np.asarray(tensor.data), tensor.tensor_type)
    weight = np.asarray(delta(tensor.name, weight.reshape(shape)), dtype=np.float32)
    return gguf.quants.quantize(weight, qtype)


def _copy_metadata(gguf: Any, reader: Any, writer: Any, gguf_type: GgufType,
                   extra: dict[str, Any], suffix: str) -> None:
    """Every key of the base file, its own type kept, but the file type (and the name)."""
    types = gguf.GGUFValueType
    file_type = (gguf.LlamaFileType.MOSTLY_Q8_0 if gguf_type == "q8_0"
                 else gguf.LlamaFileType.MOSTLY_F16)
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue  # the header's own counts; the writer adds the architecture itself
        value = field.contents()
        if key == "general.file_type":
            value = int(file_type)
        elif key == "general.name" and suffix:
            value = f"{value}{suffix}"
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == types.ARRAY and len(field.types) > 1 else None
        writer.add_key_value(key, value, vtype, sub_type=sub_type)
    if "general.file_type" not in reader.fields:
        writer.add_file_type(int(file_type))
    for key, value in extra.items():
        if isinstance(value, bool):
            writer.add_bool(key, value)
        elif isinstance(value, int):
            writer.add_int64(key, value)
        elif isinstance(value, float):
            writer.add_float64(key, value)
        elif value is not None:
            writer.add_string(key, str(value))
