"""Fixtures for the corpus tests: the livedoor-format fixture corpus and registry-built corpora."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from distil.kinds import Corpus
from distil.plugins import get_host
from tests.corpora.ldcc_fixture import build_tarball


@pytest.fixture(scope="session")
def ldcc(tmp_path_factory) -> Path:
    """A directory holding `ldcc-20140209.tar.gz` and its extracted `text/`."""
    d = tmp_path_factory.mktemp("ldcc")
    build_tarball(d)
    return d


@pytest.fixture(scope="session")
def make_corpus() -> Callable[..., Corpus]:
    """`make_corpus("csv", base_dir, path="a.csv")`: a corpus built through the registry, as a
    recipe builds it (options validated, paths relative to `base_dir`)."""
    def make(plugin: str, base_dir: Path | None = None, /, **options: object) -> Corpus:
        corpus = get_host().get("corpus", plugin).model_validate(
            options, context={"base_dir": base_dir})
        assert isinstance(corpus, Corpus)
        return corpus
    return make
