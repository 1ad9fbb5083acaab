"""Counting tokens with tiktoken, offline where possible: the one place distil loads encodings.

Two callers with different needs share the loading: the `tokens` unit of `measure` (a
constraint must count exactly, so `require_encoding` raises a UsageError when an encoding
cannot be had), and the fine-tuning data checks (`counter` falls back to a labelled estimate).

tiktoken downloads an encoding's BPE file on first use and caches it. Many machines that run
distil (CI, air-gapped servers) cannot reach the host it downloads from. litellm, already a
distil dependency, ships the `o200k_base`, `cl100k_base` and `p50k_base` files inside its
wheel (`litellm/litellm_core_utils/tokenizers/`), named the way tiktoken's cache names them:
the SHA-1 of the download address. So an encoding is loaded, in order:

1. from tiktoken's in-process registry (already loaded);
2. from litellm's bundled file, found without importing litellm, by pointing
   `TIKTOKEN_CACHE_DIR` at that folder for the duration of the load only;
3. through tiktoken's own cache or download (works with network access, or with a cache
   filled earlier);
4. not at all: the counter then estimates one token per 4 UTF-8 bytes and says so in its
   `source`, and `exact` is False.

tiktoken checks each file's SHA-256 against the digest it expects, so a bundled file that does
not match is refused, not used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from distil.errors import UsageError
from distil.packages import package_data

DEFAULT_ENCODING = "o200k_base"
_BASE_URL = "https://openaipublic.blob.core.windows.net/encodings/"
BUNDLED_FOLDER = ("litellm_core_utils", "tokenizers")
_ENV = "TIKTOKEN_CACHE_DIR"
_env_lock = threading.Lock()
_SURROGATE = regex.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens of text. `exact` is False when the count is the byte-based estimate."""

    encoding: str
    exact: bool
    source: str
    _count: Callable[[str], int] = field(repr=False, compare=False)

    def count(self, text: str) -> int:
        return self._count(text) if text else 0


def estimate_count(text: str) -> int:
    """About one token per 4 UTF-8 bytes: close for English, and for Japanese (3 bytes a
    character, roughly 0.7 tokens a character with o200k_base) it errs on the high side."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def encoding_for_model(model: str | None) -> str:
    """tiktoken's encoding for `model` (its offline name table), `o200k_base` when unknown."""
    if not model:
        return DEFAULT_ENCODING
    name = model.split("/")[-1]
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    try:
        from tiktoken.model import encoding_name_for_model

        return encoding_name_for_model(name)
    except (ImportError, KeyError):
        return DEFAULT_ENCODING


def counter_for_model(model: str | None) -> TokenCounter:
    return counter(encoding_for_model(model))


def counter(encoding: str = DEFAULT_ENCODING) -> TokenCounter:
    """An exact counter when the encoding can be loaded offline, else the labelled estimate."""
    enc, source = load_encoding(encoding)
    if enc is None:
        return TokenCounter(encoding, False, f"estimate (1 token per 4 UTF-8 bytes; {source})",
                            estimate_count)

    def count(text: str) -> int:
        return len(enc.encode_ordinary(no_surrogates(text)))

    return TokenCounter(encoding, True, source, count)


def bundled_dir() -> Path | None:
    """litellm's folder of tiktoken files, found without importing litellm."""
    return package_data("litellm", *BUNDLED_FOLDER, directory=True)


def bundled_file(encoding: str) -> Path | None:
    folder = bundled_dir()
    if folder is None:
        return None
    path = folder / hashlib.sha1(f"{_BASE_URL}{encoding}.tiktoken".encode()).hexdigest()
    return path if path.is_file() else None


def load_encoding(name: str) -> tuple[Any | None, str]:
    """(tiktoken Encoding or None, where it came from / why it is missing)."""
    try:
        import tiktoken
        import tiktoken.registry
    except ImportError:
        return None, "tiktoken is not installed: pip install tiktoken"
    if name not in tiktoken.list_encoding_names():
        return None, f"tiktoken has no encoding {name!r}"
    if name in getattr(tiktoken.registry, "ENCODINGS", {}):
        return tiktoken.get_encoding(name), f"tiktoken {name}"
    bundled = bundled_file(name)
    if bundled is not None:
        try:
            with _cache_dir(bundled.parent):
                return tiktoken.get_encoding(name), f"tiktoken {name} (file shipped in litellm)"
        except Exception:  # a file that fails tiktoken's hash check: try the usual route
            pass
    try:
        return tiktoken.get_encoding(name), f"tiktoken {name}"
    except Exception as exc:  # offline and nothing cached: requests' ConnectionError, ...
        return None, f"tiktoken's {name} file is not available offline ({type(exc).__name__})"


@contextlib.contextmanager
def _cache_dir(folder: Path) -> Iterator[None]:
    """Point tiktoken's cache at `folder` while one encoding loads, then restore it."""
    with _env_lock:
        old = os.environ.get(_ENV)
        os.environ[_ENV] = str(folder)
        try:
            yield
        finally:
            if old is None:
                os.environ.pop(_ENV, None)
            else:
                os.environ[_ENV] = old


def no_surrogates(text: str) -> str:
    """Lone surrogates (possible in decoded JSON) cannot be encoded; count them as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def check_encoding_name(name: str) -> None:
    """Raise ValueError when tiktoken has no encoding called `name` (needs no network)."""
    import tiktoken

    known = tiktoken.list_encoding_names()
    if name not in known:
        raise ValueError(f"unknown tiktoken encoding {name!r} (known: {', '.join(sorted(known))})")


@functools.cache
def require_encoding(name: str) -> Any:
    """The tiktoken encoding `name`, or a UsageError that says why it is not available.

    Loaded as `load_encoding` loads it; with no bundled file, no cached copy and no network,
    the error says so instead of surfacing a connection traceback.
    """
    check_encoding_name(name)
    enc, source = load_encoding(name)
    if enc is None:
        raise UsageError(
            f"unit 'tokens' needs tiktoken's {name!r} encoding file, which tiktoken downloads "
            f"on first use and could not get ({source}); run once with network access, or "
            f"set TIKTOKEN_CACHE_DIR to a directory that holds the cached file"
        )
    return enc
