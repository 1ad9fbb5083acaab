"""Reading corpus files: one reader, so every corpus fails the same clear way on bad bytes.

A file in the wrong encoding, or a JSON Lines file with a broken line, is the commonest bad
input a corpus meets. Every built-in corpus (jsonl, csv, text_dir, livedoor, sample_news,
ifeval) reads through here, so each such file gives one line naming the file, the byte offset
or line, and the option that fixes it, instead of a UnicodeDecodeError traceback from wherever
the bytes happened to be decoded.

Lines are read as bytes and decoded one at a time, so a decoding error knows its byte offset in
the file and a large file is streamed. That needs an encoding in which a newline is the byte
0x0A (UTF-8, the Shift_JIS and EUC families, Latin-1, ...); UTF-16 and UTF-32 files are decoded
whole instead.
"""

from __future__ import annotations

import codecs
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from distil.errors import SourceError

ENCODING_HINT = "set the corpus's `encoding` option (e.g. `encoding: cp932` for Shift_JIS)"
CONVERT_HINT = "this format is UTF-8; convert the file (e.g. `iconv -f cp932 -t utf-8`)"
_WHOLE_FILE = ("utf-16", "utf-32")  # newline is not the byte 0x0A in these
_UNSAFE_MEMBER = {  # tarfile's "data" extraction filter refusals, in a user's words
    tarfile.AbsolutePathError: "an absolute name",
    tarfile.OutsideDestinationError: "a name that climbs out of the archive with '..'",
    tarfile.SpecialFileError: "a device or other special file",
}


def check_encoding(value: str) -> str:
    """A pydantic validator body: refuse encoding names Python does not know."""
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown encoding {value!r}") from None
    return value


def reader_encoding(encoding: str) -> str:
    """UTF-8 tolerates a byte-order mark, as spreadsheet programs and Notepad write one."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def decode(raw: bytes, where: str, encoding: str = "utf-8", *, offset: int = 0,
           hint: str = ENCODING_HINT) -> str:
    """`raw` as text; bytes that are not `encoding` give a SourceError naming the byte offset.

    `offset` is where `raw` starts in its file, so the offset reported is the file's.
    """
    try:
        return raw.decode(reader_encoding(encoding) if offset == 0 else encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(f"{where}: not {encoding} text (byte {offset + exc.start}: "
                          f"{exc.reason}); {hint}", field="encoding") from None


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_text(path: Path, encoding: str = "utf-8", *, hint: str = ENCODING_HINT) -> str:
    """The whole file `path` as text."""
    return decode(read_bytes(path), str(path), encoding, hint=hint)


def iter_lines(path: Path, encoding: str = "utf-8", *,
               hint: str = ENCODING_HINT) -> Iterator[tuple[int, str]]:
    """(line number from 1, line with its ending) for each line of `path`, streamed."""
    if codecs.lookup(encoding).name.startswith(_WHOLE_FILE):
        text = read_text(path, encoding, hint=hint)
        yield from enumerate(text.splitlines(keepends=True), 1)
        return
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        offset = 0
        for number, raw in enumerate(handle, 1):
            yield number, decode(raw, str(path), encoding, offset=offset, hint=hint)
            offset += len(raw)


def iter_jsonl(path: Path, encoding: str = "utf-8", *,
               hint: str = ENCODING_HINT) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of a JSON Lines file.

    A line that is not JSON gives a SourceError naming the file, the line and the column.
    """
    for number, line in iter_lines(path, encoding, hint=hint):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})",
                              field="path") from None
        yield number, value


def check_tar_member(member: tarfile.TarInfo, where: str) -> None:
    """Refuse an archive member with an absolute name, a link, or anything tarfile's "data"
    extraction filter refuses (a name climbing out with `..`, a device file).

    distil reads archives as streams and extracts nothing, so no member can write anywhere;
    but an archive holding such a member is not a corpus anybody published (corpora are plain
    files), and the user may well unpack it by hand.
    """
    reason = None
    if member.name.startswith(("/", "\\")):  # the data filter would strip the slash
        reason = "an absolute name"
    elif member.issym() or member.islnk():
        reason = f"a link (to {member.linkname!r}); a corpus archive holds plain files"
    else:
        try:
            tarfile.data_filter(member, "/distil-archive")
        except tarfile.FilterError as exc:
            reason = next((text for cls, text in _UNSAFE_MEMBER.items()
                           if isinstance(exc, cls)), str(exc))
    if reason:
        raise SourceError(f"{where}: refused: the member {member.name!r} has {reason}")
