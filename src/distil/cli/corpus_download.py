"""Fetching a public corpus and checking that what arrived is what was meant.

The file is streamed to `<name>.part` beside its destination, hashed on the way, and renamed
(by the command) only once it has passed every check: a download that fails, is cut short or
does not verify never leaves a file that a recipe could mistake for the corpus.

Only urllib is used, so downloading needs nothing beyond the standard library.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from distil import __version__
from distil.corpusio import check_tar_member
from distil.errors import UsageError

CHUNK = 1 << 16

LIVEDOOR_CATEGORIES = (
    "dokujo-tsushin", "it-life-hack", "kaden-channel", "livedoor-homme", "movie-enter",
    "peachy", "smax", "sports-watch", "topic-news",
)


@dataclass(frozen=True)
class Downloadable:
    """A corpus `distil corpus download` knows: where it lives and how to recognise it.

    `sha256` is the official file's digest when it is known; `verify(path, shown_name)` checks
    the content and returns a one-line description of what it found, or raises UsageError.
    """

    name: str
    url: str
    filename: str
    verify: Callable[[Path, str], str]
    sha256: str | None = None
    recipe_hint: str = ""


def verify_livedoor_tarball(path: Path, shown: str) -> str:
    """The file is a tar archive holding article files in each of the nine category folders.

    The official checksum is not published, so the layout is what identifies the corpus. Nothing
    is extracted; a member that tarfile's "data" filter would refuse (an absolute name, `..`,
    a link leading out) makes the file not the corpus.
    """
    counts = dict.fromkeys(LIVEDOOR_CATEGORIES, 0)
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                check_tar_member(member, shown)
                parts = PurePosixPath(member.name).parts
                if (member.isfile() and len(parts) >= 2 and parts[-2] in counts
                        and parts[-1].endswith(".txt") and parts[-1] != "LICENSE.txt"):
                    counts[parts[-2]] += 1
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise UsageError(f"{shown} is not a readable tar archive ({exc or 'truncated'}); "
                         f"it is not the livedoor corpus") from None
    missing = [c for c, n in counts.items() if n == 0]
    if missing:
        raise UsageError(f"{shown} is not the livedoor corpus: no articles in "
                         f"{', '.join(missing)}")
    return f"livedoor layout: {len(counts)} categories, {sum(counts.values())} articles"


DOWNLOADS: dict[str, Downloadable] = {
    "livedoor": Downloadable(
        name="livedoor",
        url="https://www.rondhuit.com/download/ldcc-20140209.tar.gz",
        filename="ldcc-20140209.tar.gz",
        verify=verify_livedoor_tarball,
        recipe_hint="corpus: {{livedoor: {{path: {path}}}}}",
    ),
}


def check_sha256(value: str | None) -> str | None:
    if value is None:
        return None
    digest = value.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise UsageError(f"--sha256 must be 64 hexadecimal digits, got {value!r}")
    return digest


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def _progress(label: str, total: int | None,
              enabled: bool | None) -> Iterator[Callable[[int], None]]:
    """An `advance(n_bytes)` callback drawing a byte progress bar on stderr (when wanted)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(file=sys.stderr)
    if enabled is None:
        enabled = console.is_terminal
    if not enabled:
        yield lambda n: None
        return
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.update(task, advance=n)


def fetch(url: str, part: Path, *, timeout: float, progress: bool | None) -> tuple[int, str]:
    """Stream `url` into the file `part`; returns (bytes, sha256 hex). Removes it on failure."""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise UsageError(f"--url must be an http:// or https:// address, got {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": f"distil/{__version__}"})
    digest = hashlib.sha256()
    received = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            label = PurePosixPath(urllib.parse.urlsplit(url).path).name or url
            with part.open("wb") as out, _progress(label, total, progress) as advance:
                for chunk in iter(lambda: response.read(CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    advance(len(chunk))
        if total is not None and received != total:
            raise UsageError(f"download of {url} stopped after {received} of {total} bytes")
    except BaseException as exc:
        part.unlink(missing_ok=True)
        if isinstance(exc, urllib.error.HTTPError):
            raise UsageError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
        if isinstance(exc, urllib.error.URLError):
            raise UsageError(f"cannot download {url}: {exc.reason}") from None
        if isinstance(exc, http.client.IncompleteRead):
            raise UsageError(f"download of {url} stopped after {received + len(exc.partial)} "
                             f"bytes (the server closed the connection)") from None
        if isinstance(exc, (OSError, http.client.HTTPException)):  # timeouts, resets, full disk
            detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise UsageError(f"cannot download {url}: {detail}") from None
        raise
    return received, digest.hexdigest()


def verify(item: Downloadable, path: Path, shown: str, digest: str, expected: str | None) -> str:
    """Check the digest (when one is expected) and the content of `path`, named `shown`."""
    if expected is not None and digest != expected:
        raise UsageError(f"checksum mismatch for {shown}: expected sha256 {expected}, got {digest}")
    return item.verify(path, shown)
