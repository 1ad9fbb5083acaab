"""`distil check --grammar` prints the compiled grammar and names what does not compile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml


def _check(tmp_path: Path, constraints: list) -> subprocess.CompletedProcess:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"constraints": constraints}, allow_unicode=True),
                    encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "distil", "check", str(path), "--grammar"],
                          capture_output=True, text=True, timeout=120)


def test_prints_a_grammar_llama_cpp_reads_and_names_the_rest(tmp_path):
    from llama_cpp import LlamaGrammar

    done = _check(tmp_path, [{"bullets": {"count": 3, "marker": "・"}},
                             {"char_count": {"min": 95, "max": 105}},
                             {"char_count": {"max": 280, "unit": "x_weighted", "label": "x"}}])
    assert done.returncode == 0, done.stderr
    assert "# bullets: compiled" in done.stdout and "# char_count: compiled" in done.stdout
    assert "# x: not compiled, checked after decoding: unit x_weighted" in done.stdout
    assert 'head ::= "・"' in done.stdout
    LlamaGrammar.from_string(done.stdout, verbose=False)  # comments included


def test_nothing_compiles_exits_1_and_says_why(tmp_path):
    done = _check(tmp_path, [{"regex": {"pattern": "(?<=a)b"}}])
    assert done.returncode == 1
    assert "# regex: not compiled" in done.stdout and "subset" in done.stdout
    assert "no constraint compiles" in done.stdout
