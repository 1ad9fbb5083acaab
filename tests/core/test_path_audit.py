"""Audit: data never chooses where distil writes.

Every place a path comes from data, with the result (the recipe `name`, suite `name` and
reporter `filename` are in test_names.py; tar members in tests/corpora/test_tar_members.py):

- document ids are keys in the store and values in exports and reports, never file names: a
  corpus whose ids are `../../x`, absolute paths and the like runs, and writes only the run
  directory's fixed files;
- corpus fields (`path`, `pattern`, `data_files`) name files to read, relative to the recipe;
  nothing is written next to them; a text_dir `pattern` may not climb out of its folder;
- plugin directories are read (their code runs: that is what listing one in `plugins:` asks
  for) and nothing is written into them, not even `__pycache__`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.core.clihelp import distil

HOSTILE_IDS = ["../../escaped", "/tmp/absolute-id", "..", "a/../../b", "~/home", "C:\\win",
               "name\nwith newline", "<script>x</script>"]


def snapshot(root: Path, skip: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*")
            if p.is_file() and skip not in p.parents}


def test_document_ids_never_become_file_names(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    rows = [{"id": i, "text": f"Text number {n}."} for n, i in enumerate(HOSTILE_IDS)]
    (work / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (work / "r.yaml").write_text(
        "name: t\ncorpus:\n  jsonl: {path: d.jsonl}\n  split: {train: 6, test: 2}\n"
        "constraints:\n  - char_count: {max: 40}\n"
        "teacher:\n  model: {scripted: {outputs: [\"ok\"]}}\n"
        "evaluate: {models: [teacher], metrics: [pass_rate]}\n"
        "report: [markdown, html, json]\n")
    run_dir = work / "out"
    before = snapshot(tmp_path, run_dir)
    out = distil("run", "r.yaml", "--run-dir", "out", cwd=work)
    assert out.returncode == 0, out.stderr
    assert snapshot(tmp_path, run_dir) == before  # nothing outside the run directory changed
    assert not Path("/tmp/absolute-id").exists()
    written = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*")}
    assert written <= {"manifest.json", "recipe.yaml", "store.sqlite", "store.sqlite-wal",
                       "store.sqlite-shm", "train.jsonl", "validation.jsonl", "eval.jsonl",
                       "results.json", "report.md", "report.html"}, written
    exported = [json.loads(line) for line in (run_dir / "train.jsonl").read_text().splitlines()]
    assert len(exported) == 6  # the ids were data all along
    html = (run_dir / "report.html").read_text()
    assert "<script>x</script>" not in html


def test_a_text_dir_pattern_cannot_climb_out(tmp_path):
    (tmp_path / "docs").mkdir()
    for pattern in ("../*.txt", "/etc/*", "sub/../../*.txt"):
        (tmp_path / "r.yaml").write_text(
            f"name: t\ncorpus:\n  text_dir: {{path: docs, pattern: '{pattern}'}}\n")
        out = distil("validate", "--no-corpus", "r.yaml", cwd=tmp_path)
        assert out.returncode == 2, pattern
        assert out.stderr.startswith("error: r.yaml:3: corpus.text_dir.pattern: must be a "
                                     "file-name glob"), out.stderr


def test_a_plugins_directory_is_read_and_never_written(tmp_path):
    plugins = tmp_path / "plug"
    plugins.mkdir()
    (plugins / "wordy.py").write_text(
        "import distil\n\n\nclass Never(distil.Constraint):\n"
        "    def check(self, output, doc=None):\n"
        "        return self.verdict(passed=False, measured={})\n\n\n"
        "@distil.hookimpl\ndef register_constraints(register):\n"
        "    register('never', Never)\n")
    (tmp_path / "r.yaml").write_text("name: t\nplugins: [plug]\ncorpus:\n  inline: "
                                     "{documents: [x]}\nconstraints: [wordy/never]\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = distil("validate", "r.yaml", cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in plugins.iterdir()) == ["wordy.py"]  # no __pycache__
    (tmp_path / "r.yaml").write_text("name: t\nplugins: [nowhere]\ncorpus:\n  inline: "
                                     "{documents: [x]}\n")
    out = distil("validate", "r.yaml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error: r.yaml:2: plugins[0]: plugins directory not found")
