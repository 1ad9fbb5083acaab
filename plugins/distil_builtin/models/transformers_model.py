"""`transformers`: a causal LM run in-process by Hugging Face transformers (the `train` extra).

Its first use is serving the student the `local` trainer merged (`<run>/student/merged`) to
the evaluate stage, but `model` takes any reference the trainer takes: a model folder, a GGUF
file (dequantised), `smollm2`, or a cached hub id.

Like the llama.cpp `local` model: generation is blocking torch work, so it runs in a worker
thread; one loaded model is shared by every instance in the process (keyed by folder and
device) and requests to it are serialised, by an asyncio lock per event loop (waiting
coroutines hold no thread) and a thread lock (a cancelled request's thread may still run).

Requests take `max_tokens` (or `max_completion_tokens`), `temperature` (0 or absent: greedy),
`top_p`, `top_k` and `seed`. Usage counts the prompt's tokens after the chat template and the
generated tokens up to and including the end-of-turn token. Cost is 0.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr

from distil.errors import ModelError, UsageError
from distil.kinds import Model
from distil.types import Completion, Message, Usage
from distil_builtin.transformers_runtime import (
    ModelSource,
    load_model,
    load_tokenizer,
    pick_device,
    require,
    resolve_model,
    set_threads,
)

DEFAULT_MAX_TOKENS = 512
REQUEST_PARAMS = frozenset({"max_tokens", "max_completion_tokens", "temperature", "top_p",
                            "top_k", "seed"})


@dataclass
class _Loaded:
    """One model and tokenizer in memory, and the locks that serialise requests to it."""

    model: Any
    tokenizer: Any
    device: str
    thread_lock: threading.Lock = field(default_factory=threading.Lock)
    _loop_locks: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)

    def loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with _REGISTRY_LOCK:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
        return lock


_LOADED: dict[tuple[str, str | None, str], _Loaded] = {}
_REGISTRY_LOCK = threading.Lock()
_LOADING_LOCK = threading.Lock()  # one load at a time: each is seconds of CPU and memory


class TransformersModel(Model):
    """A causal LM run by transformers: a merged student, a model folder or a GGUF file."""

    model: str = Field(
        default="",
        description=("A Hugging Face model folder (e.g. the merged student), a GGUF file, "
                     "`smollm2`, or a hub id (only when cached or online)."),
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="`auto`: CUDA when torch sees a GPU, else the CPU.")
    threads: int | None = Field(
        default=None, ge=1, description="CPU threads for torch (default: torch's, every core).")
    seed: int | None = Field(
        default=None, description="Seed for sampled requests that bring no `seed` of their own.")

    _source: ModelSource | None = PrivateAttr(default=None)

    def source(self) -> ModelSource:
        if self._source is None:
            if not self.model:
                raise UsageError("transformers model: give `model` (a model folder, a GGUF "
                                 "file or a hub id)")
            # a relative `model` path is taken from the recipe's folder (Plugin._base_dir)
            self._source = resolve_model(self.model, self._base_dir)
        return self._source

    @property
    def display_name(self) -> str:
        return f"{self.plugin_name or 'transformers'}/{Path(self.model).name or self.model}"

    def cache_identity(self) -> Mapping[str, Any]:
        source = self.source()
        return {"plugin": self.plugin_name or "transformers", "model": source.label,
                "weights": source.weights_fingerprint()}

    def estimate_cost(self, messages: Sequence[Message],
                      params: Mapping[str, Any] | None = None) -> float | None:
        return 0.0

    # -- loading --------------------------------------------------------------------------------
    def _loaded(self) -> _Loaded:
        """The shared model for this source and device, loaded on first use (blocking)."""
        source = self.source()
        device = pick_device(self.device)
        key = (source.location, source.gguf_file, device)
        with _REGISTRY_LOCK:
            loaded = _LOADED.get(key)
        if loaded is not None:
            return loaded
        with _LOADING_LOCK:
            with _REGISTRY_LOCK:
                loaded = _LOADED.get(key)
            if loaded is None:
                set_threads(self.threads)
                tokenizer = load_tokenizer(source)
                model = load_model(source, device)
                model.eval()
                loaded = _Loaded(model, tokenizer, device)
                with _REGISTRY_LOCK:
                    _LOADED[key] = loaded
        return loaded

    # -- requests -------------------------------------------------------------------------------
    def _settings(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = {**self.params, **(params or {})}
        if "max_completion_tokens" in merged:
            merged.setdefault("max_tokens", merged.pop("max_completion_tokens"))
        unknown = sorted(set(merged) - REQUEST_PARAMS)
        if unknown:
            raise UsageError(f"transformers model: unsupported request parameter(s): "
                             f"{', '.join(unknown)} (supported: "
                             f"{', '.join(sorted(REQUEST_PARAMS))})")
        merged.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
        if merged.get("seed") is None and self.seed is not None:
            merged["seed"] = self.seed
        return merged

    async def load(self) -> None:
        """Read the weights before the first request (the engine times this as the load)."""
        await asyncio.to_thread(self._loaded)

    async def complete(self, messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion:
        settings = self._settings(params)
        loaded = await asyncio.to_thread(self._loaded)
        async with loaded.loop_lock():
            started = time.perf_counter()
            text, usage, finish = await asyncio.to_thread(_generate, loaded, messages, settings)
            latency = time.perf_counter() - started
        return Completion(text=text, usage=usage, cost=0.0, latency=latency,
                          finish_reason=finish, model=self.source().label)


def _generate(loaded: _Loaded, messages: Sequence[Message],
              settings: Mapping[str, Any]) -> tuple[str, Usage, str]:
    """One generation (in a worker thread): (text, usage, finish reason)."""
    torch = require("torch")
    tokenizer, model = loaded.tokenizer, loaded.model
    prompt = tokenizer.apply_chat_template([m.to_dict() for m in messages], tokenize=False,
                                           add_generation_prompt=True)
    encoded = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
    inputs = {key: encoded[key].to(loaded.device) for key in ("input_ids", "attention_mask")}
    n_prompt = int(inputs["input_ids"].shape[1])
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit and n_prompt >= limit:
        raise ModelError(f"transformers model: the prompt is {n_prompt} tokens, the model's "
                         f"context is {limit}")
    temperature = float(settings.get("temperature") or 0.0)
    max_new = int(settings["max_tokens"])
    if limit:  # never generate past the model's context
        max_new = min(max_new, limit - n_prompt)
    options: dict[str, Any] = {
        "max_new_tokens": max_new,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    if temperature > 0:
        options.update(do_sample=True, temperature=temperature,
                       top_p=float(settings.get("top_p", 1.0)),
                       top_k=int(settings.get("top_k", 0)))
    else:  # greedy: clear sampling settings a model's generation_config may carry
        options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    with loaded.thread_lock:
        if settings.get("seed") is not None:
            torch.manual_seed(int(settings["seed"]))
        with torch.no_grad():
            output = model.generate(**inputs, **options)
    generated = output[0, n_prompt:].tolist()
    finish = "length"
    if tokenizer.eos_token_id in generated:
        generated = generated[: generated.index(tokenizer.eos_token_id) + 1]
        finish = "stop"
    text = tokenizer.decode(generated, skip_special_tokens=True)
    return text, Usage(prompt_tokens=n_prompt, completion_tokens=len(generated)), finish
