"""`distil corpus stats` and `distil validate` on corpus recipes, run as a user runs them."""

from __future__ import annotations

import json
import unicodedata

import pytest

from distil.engine.runner import Runner
from distil.recipe import load_recipe
from tests.core.clihelp import distil
from tests.corpora.ldcc_fixture import ARTICLES, CATEGORY_COUNTS, TARBALL_NAME


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_stats_lists_the_nine_categories_with_their_counts(ldcc, tmp_path):
    recipe = write(tmp_path / "r.yaml",
                   f"name: stats\ncorpus:\n  livedoor: {{path: {ldcc / TARBALL_NAME}}}\n")
    out = distil("corpus", "stats", str(recipe))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["category", "total"])
    table = {line.split()[0]: int(line.split()[-1]) for line in lines[start + 1:] if line.strip()}
    assert table == CATEGORY_COUNTS
    assert len(table) == 9
    assert f"{len(ARTICLES)} documents" in out.stdout


def test_stats_json_matches_what_a_run_would_use(ldcc, tmp_path):
    recipe = write(tmp_path / "r.yaml", (
        "name: stats\n"
        "corpus:\n"
        f"  livedoor: {{path: {ldcc / 'text'}, text: title+body}}\n"
        "  sample: 20\n  seed: 11\n"
        "  split: {train: 12, validation: 3, test: 5}\n"))
    out = distil("corpus", "stats", str(recipe), "--json")
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)

    runner = Runner(load_recipe(recipe), tmp_path / "run")  # the run's own sampling and split
    splits = runner.splits()
    assert stats["corpus"] == "livedoor"
    assert stats["corpus_documents"] == len(ARTICLES) and stats["documents"] == 20
    for name, docs in splits.items():
        assert stats["splits"][name]["documents"] == len(docs)
        lengths = [len(unicodedata.normalize("NFC", d.text)) for d in docs]
        assert stats["splits"][name]["length"]["min"] == min(lengths)
        assert stats["splits"][name]["length"]["max"] == max(lengths)
        assert stats["splits"][name]["length"]["mean"] == pytest.approx(
            sum(lengths) / len(lengths), abs=0.05)
        for category, row in stats["categories"].items():
            assert row[name] == sum(d.fields["category"] == category for d in docs)
    assert sum(row["total"] for row in stats["categories"].values()) == 20


def test_stats_without_categories_or_split(tmp_path):
    recipe = write(tmp_path / "r.yaml",
                   "name: s\ncorpus:\n  inline:\n    documents: [abc, あいうえお, 'e\u0301']\n")
    out = distil("corpus", "stats", str(recipe), "--json")
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    assert "categories" not in stats
    assert list(stats["splits"]) == ["all"]  # no split: every stage sees the same documents
    # 'e' + combining acute is one code point after NFC
    assert stats["length"] == {"mean": 3.0, "median": 3.0, "min": 1, "max": 5}


def test_stats_reports_a_split_larger_than_the_corpus(ldcc, tmp_path):
    recipe = write(tmp_path / "r.yaml", (
        f"name: s\ncorpus:\n  livedoor: {{path: {ldcc / TARBALL_NAME}}}\n"
        "  split: {train: 500, validation: 50, test: 100}\n"))
    out = distil("corpus", "stats", str(recipe))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"error: {recipe}:4: corpus.split: the splits ask for 650 documents but only "
        f"{len(ARTICLES)} are available"]


@pytest.mark.parametrize("make_path, line, field, message", [
    (lambda d: d / "missing.tar.gz", 4, "corpus.livedoor.path", "not found"),
    (lambda d: write(d / "notes.txt", "hello"), 4, "corpus.livedoor.path", "not a tar archive"),
    (lambda d: d, 4, "corpus.livedoor.path", "no livedoor category folders"),
])
def test_validate_names_the_recipe_line_of_a_bad_path(tmp_path, make_path, line, field, message):
    d = tmp_path / "data"
    d.mkdir()
    recipe = write(tmp_path / "recipe.yaml",
                   f"name: bad\ncorpus:\n  livedoor:\n    path: {make_path(d)}\n  seed: 3\n")
    # `run` needs the data: one located error line, exit 2. `validate` does too, except for a
    # corpus that is simply not downloaded yet, which it notes with the command that fetches it.
    for command in ("run", "validate"):
        out = distil(command, str(recipe))
        err = out.stderr.strip().splitlines()
        assert len(err) == 1, out.stderr
        if command == "validate" and message == "not found":
            assert out.returncode == 0
            assert err[0].startswith(f"note: {recipe}:{line}: {field}: ")
            assert "(to get it: distil corpus download livedoor --dest" in err[0]
            continue
        assert out.returncode == 2
        assert err[0].startswith(f"error: {recipe}:{line}: {field}: ")
        assert message in err[0]


def test_validate_names_the_line_of_other_corpus_options(tmp_path):
    write(tmp_path / "a.csv", "id,body\n1,x\n")
    recipe = write(tmp_path / "recipe.yaml",
                   "name: bad\ncorpus:\n  csv:\n    path: a.csv\n    text_field: text\n")
    out = distil("validate", str(recipe))
    assert out.returncode == 2
    assert out.stderr.strip() == (f"error: {recipe}:5: corpus.csv.text_field: {tmp_path / 'a.csv'}"
                                  f": no column 'text' (columns: id, body)")
    recipe = write(tmp_path / "recipe.yaml",
                   "name: bad\ncorpus:\n  text_dir:\n    path: nowhere\n")
    out = distil("validate", str(recipe))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert f"{recipe}:4: corpus.text_dir.path: directory not found" in out.stderr
