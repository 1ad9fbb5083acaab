"""The file layout of the livedoor news corpus (ldcc-20140209), kept apart from the plugin.

As distributed, `ldcc-20140209.tar.gz` unpacks to `text/`, which holds `README.txt`,
`CHANGES.txt` and one folder per category. Each category folder holds a `LICENSE.txt` and one
UTF-8 file per article: line 1 the URL, line 2 the date, line 3 the title, then the body.

This module knows that layout and nothing about recipes, so the tarball and the extracted
directory go through exactly the same rules and give exactly the same documents.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from distil.corpusio import check_tar_member, decode, read_bytes
from distil.errors import SourceError, UsageError

CATEGORIES = (
    "dokujo-tsushin",
    "it-life-hack",
    "kaden-channel",
    "livedoor-homme",
    "movie-enter",
    "peachy",
    "smax",
    "sports-watch",
    "topic-news",
)
LICENSE_FILE = "LICENSE.txt"
NOT_UTF8 = "the livedoor corpus is UTF-8; is this file from ldcc-20140209?"

ArticleKey = tuple[str, str]  # (category, file stem): the sort key and the document id


@dataclass(frozen=True, slots=True)
class Article:
    category: str
    stem: str
    url: str
    date: str
    title: str
    body: str

    @property
    def doc_id(self) -> str:
        return f"{self.category}/{self.stem}"


def article_key(parts: tuple[str, ...]) -> ArticleKey | None:
    """(category, stem) when a path names an article file, else None.

    Only the last two parts matter, so `text/peachy/x.txt`, `peachy/x.txt` and a tarball packed
    from a parent folder all work; README.txt, CHANGES.txt and LICENSE.txt never match.
    """
    if len(parts) < 2:
        return None
    folder, name = parts[-2], parts[-1]
    if folder not in CATEGORIES or name == LICENSE_FILE or not name.endswith(".txt"):
        return None
    if name.startswith("."):  # editor and OS droppings such as ._foo.txt
        return None
    return folder, name[: -len(".txt")]


def parse_article(key: ArticleKey, raw: bytes, where: str) -> Article:
    """Split one article file into its URL, date, title and body.

    The body is line 4 onwards with leading and trailing blank lines removed; everything inside
    it (full-width indentation, blank lines between paragraphs) is kept as written.
    """
    text = decode(raw, where, hint=NOT_UTF8)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) < 3 or not lines[2].strip():
        raise UsageError(f"{where}: not a livedoor article (expected the URL, the date and the "
                         f"title on lines 1-3)")
    body_lines = lines[3:]
    while body_lines and not body_lines[0].strip():
        body_lines.pop(0)
    while body_lines and not body_lines[-1].strip():
        body_lines.pop()
    category, stem = key
    return Article(category=category, stem=stem, url=lines[0].strip(), date=lines[1].strip(),
                   title=lines[2].strip(), body="\n".join(body_lines))


# -- reading ------------------------------------------------------------------------------------
def find_text_root(directory: Path) -> Path | None:
    """The folder holding the category folders: `directory` itself or its `text/`."""
    for candidate in (directory, directory / "text"):
        if any((candidate / c).is_dir() for c in CATEGORIES):
            return candidate
    return None


def iter_directory(root: Path, wanted: Iterable[str]) -> Iterator[Article]:
    """Articles of the wanted categories under `root`, sorted by (category, stem), lazily."""
    for category in sorted(wanted):
        folder = root / category
        if not folder.is_dir():
            continue
        keyed = []
        for path in folder.iterdir():
            key = article_key((category, path.name))
            if key is not None and path.is_file():
                keyed.append((key, path))
        for key, path in sorted(keyed):
            yield parse_article(key, read_bytes(path), str(path))


def iter_tarball(path: Path, wanted: Iterable[str]) -> Iterator[Article]:
    """Articles of the wanted categories in a tarball, sorted by (category, stem).

    The archive is read once, front to back, as a stream ("r|*"): nothing is extracted to disk
    and any compression tarfile knows is accepted. Sorting needs every name, and a gzip stream
    cannot seek backwards cheaply, so the parsed articles are held until the end of the archive
    (the whole corpus is a few tens of MB of text, and sampling needs all of it anyway).
    """
    keep = set(wanted)
    found: dict[ArticleKey, Article] = {}
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                check_tar_member(member, str(path))
                if not member.isfile():
                    continue
                key = article_key(tuple(PurePosixPath(member.name).parts))
                if key is None or key[0] not in keep:
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                found[key] = parse_article(key, handle.read(), f"{path}:{member.name}")
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise SourceError(f"{path}: not a readable tar archive ({exc or 'truncated'})") from None
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    for key in sorted(found):
        yield found[key]


def is_tarball(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False
