"""Archive members that could write outside a folder are refused, and nothing is extracted.

Audit: `distil corpus download` and the livedoor corpus read tarballs as streams and extract
nothing, so no member name ever becomes a path on disk. An archive holding a member with an
absolute name, a link, or anything tarfile's "data" filter refuses (`..`, a device) is not a
corpus anyone published, so both refuse it, naming the member.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from distil.cli.corpus_download import verify_livedoor_tarball
from distil.errors import SourceError
from tests.core.clihelp import distil
from tests.corpora.ldcc_fixture import TARBALL_NAME, tarball_bytes


def with_member(tmp_path: Path, info: tarfile.TarInfo, data: bytes = b"") -> Path:
    """The fixture tarball with one more member appended."""
    raw = io.BytesIO(gzip.decompress(tarball_bytes()))
    out = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="r") as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        info.size = len(data) if info.isfile() else 0
        dst.addfile(info, io.BytesIO(data) if info.isfile() else None)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / TARBALL_NAME
    path.write_bytes(gzip.compress(out.getvalue()))
    return path


def member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


ARTICLE = b"http://x/\n2012-01-01\nTitle\nBody\n"
HOSTILE = {
    "parent": (member("../../peachy/peachy-9.txt"), "a name that climbs out"),
    "absolute": (member("/tmp/peachy/peachy-9.txt"), "an absolute name"),
    "symlink out": (member("text/peachy/peachy-9.txt", tarfile.SYMTYPE, "/etc/passwd"),
                    "a link \\(to '/etc/passwd'\\)"),
    "relative symlink out": (member("text/peachy/peachy-9.txt", tarfile.SYMTYPE,
                                    "../../../etc/passwd"), "a link"),
    "symlink inside": (member("text/peachy/peachy-9.txt", tarfile.SYMTYPE, "LICENSE.txt"),
                       "a link"),
    "hard link": (member("text/peachy/peachy-9.txt", tarfile.LNKTYPE,
                         "text/peachy/LICENSE.txt"), "a link"),
    "device": (member("text/peachy/dev", tarfile.CHRTYPE), "a device or other special file"),
}


def snapshot(root: Path) -> set[Path]:
    return set(root.rglob("*"))


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_download_verification_refuses_an_unsafe_member(tmp_path, case):
    info, reason = HOSTILE[case]
    path = with_member(tmp_path, info, ARTICLE)
    before = snapshot(tmp_path)
    with pytest.raises(SourceError, match=f"the file: refused: the member .* has {reason}"):
        verify_livedoor_tarball(path, "the file")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_the_livedoor_corpus_refuses_an_unsafe_member(tmp_path, make_corpus, case):
    info, reason = HOSTILE[case]
    path = with_member(tmp_path, info, ARTICLE)
    before = snapshot(tmp_path)
    corpus = make_corpus("livedoor", tmp_path, path=path.name)
    with pytest.raises(SourceError, match=f"refused: the member .* has {reason}"):
        list(corpus.iter_documents())
    assert snapshot(tmp_path) == before


def test_the_published_layout_has_no_unsafe_member(tmp_path, make_corpus):
    path = tmp_path / TARBALL_NAME
    path.write_bytes(tarball_bytes())
    assert "livedoor layout" in verify_livedoor_tarball(path, "the file")
    assert list(make_corpus("livedoor", tmp_path, path=TARBALL_NAME).iter_documents())


def test_the_download_command_refuses_such_an_archive(tmp_path):
    """The file already there is verified as a fresh download is (the same function)."""
    dest = tmp_path / "data"
    with_member(dest, member("../../escape.txt"), ARTICLE)
    before = snapshot(tmp_path)
    out = distil("corpus", "download", "livedoor", "--dest", str(dest), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().endswith(
        "refused: the member '../../escape.txt' has a name that climbs out of the archive with "
        "'..' (the file was already there; --force downloads it again)"), out.stderr
    assert snapshot(tmp_path) == before
