"""distil reproduces the published IFEval and M-IFEval figures from the published responses.

Reads ../shared/datasets (the data stays outside the project); skipped, with the path in the
reason, only when that directory is absent. Runs the bench's own code, once (~20 s).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ifeval.conftest import DATA, REPO

pytestmark = pytest.mark.skipif(
    not (DATA / "ifeval" / "input_data.jsonl").is_file(),
    reason=f"published IFEval data not found at {DATA} (the shared datasets directory)",
)


def load_bench():
    spec = importlib.util.spec_from_file_location("ifeval_reference",
                                                  REPO / "bench" / "ifeval_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return load_bench()


@pytest.fixture(scope="module")
def measured(bench):
    return bench.measure(DATA)


def test_every_reference_figure_is_matched_within_0_4_points(bench, measured):
    results, _ = measured
    rows = [r for r in bench.compare(results) if r["reference"] is not None]
    assert len(rows) == 9
    misses = [(r["benchmark"], r["model"], r["figure"], r["distil"], r["reference"])
              for r in rows if abs(r["distil"] - r["reference"]) > 0.4]
    assert misses == []


def test_every_response_file_gets_all_four_figures(bench, measured):
    results, notes = measured
    assert set(results) == {"ifeval", "m-ifeval-ja"}
    assert set(results["ifeval"]) == {"gpt4"}
    assert set(results["m-ifeval-ja"]) == set(bench.REFERENCE["m-ifeval-ja"])
    for models in results.values():
        for figures in models.values():
            assert set(figures) == set(bench.FIGURES)
            assert figures["instruction_strict"] <= figures["instruction_loose"]
    assert notes == ["ifeval/gpt4: prompt 2785 paired by nearest text (similarity 0.9917)"]


def test_m_ifeval_counts_are_exact(measured):
    results, _ = measured
    counts = {m: round(f["instruction_strict"] * 226 / 100)
              for m, f in results["m-ifeval-ja"].items()}
    assert counts == {"claude-3-5-sonnet-20240620": 174, "o1-preview-2024-09-12": 171,
                      "gpt-4o-2024-08-06": 159, "Qwen__Qwen2.5-7B-Instruct-GPTQ-Int4": 115,
                      "hugging-quants__Meta-Llama-3.1-8B-Instruct-AWQ-INT4": 90}


def test_ifeval_counts_equal_the_papers_once_its_random_letters_fail(host):
    """The reference swaps `#` (key 1122) and `!` (key 1129) for random letters. distil counts
    the characters asked for; with those two verdicts failed as the paper's draws evidently
    did (1122 strict and loose, 1129 loose), every count equals the paper's."""
    from distil_ifeval.replay import check_document, pair_by_prompt, read_responses

    docs = list(host.get("corpus", "ifeval")(path=str(DATA / "ifeval" / "input_data.jsonl"))
                .iter_documents())
    responses = pair_by_prompt(docs, read_responses(
        DATA / "ifeval" / "input_response_data_gpt4_20231107_145030.jsonl")).responses
    forced = {"1122": ("strict_passed", "loose_passed"), "1129": ("loose_passed",)}
    totals = {"prompt_strict": 0, "instruction_strict": 0, "prompt_loose": 0,
              "instruction_loose": 0}
    for doc in docs:
        flags = []
        for verdict in check_document(host, doc, responses[doc.id]):
            m = dict(verdict.measured)
            if m["instruction_id"] == "keywords:letter_frequency" and doc.id in forced:
                assert m["strict_passed"] and m["loose_passed"]  # distil: the asked-for char
                m.update(dict.fromkeys(forced[doc.id], False))
            flags.append((m["strict_passed"], m["loose_passed"]))
        for i, level in enumerate(("strict", "loose")):
            totals[f"prompt_{level}"] += all(f[i] for f in flags)
            totals[f"instruction_{level}"] += sum(f[i] for f in flags)
    assert totals == {"prompt_strict": 416, "instruction_strict": 697,
                      "prompt_loose": 429, "instruction_loose": 712}


def small_datasets(directory: Path) -> Path:
    """The first prompts of the published data, with the responses of two Japanese models."""
    def head(source: Path, n: int) -> None:
        target = directory / source.relative_to(DATA)
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        target.write_text("".join(lines[:n]), encoding="utf-8")

    head(DATA / "ifeval" / "input_data.jsonl", 40)
    head(DATA / "ifeval" / "input_response_data_gpt4_20231107_145030.jsonl", 40)
    head(DATA / "m-ifeval-ja" / "ja_input_data.jsonl", 25)
    for model in ("gpt-4o-2024-08-06", "o1-preview-2024-09-12"):
        head(DATA / "m-ifeval-ja" / f"ja_input_response_data_{model}.jsonl", 25)
    return directory


def test_json_output_is_distils_figures_for_the_files_it_was_given(bench, host, tmp_path):
    """`--json`, run as a user runs it, prints the figures distil computes from the data and
    nothing of the reference table: here the first prompts only, whose figures an independent
    count of the verdicts must give, and the exit status says that they miss the paper's."""
    from distil_ifeval.replay import check_document, pair_by_prompt, read_responses

    data = small_datasets(tmp_path / "data")
    out = subprocess.run([sys.executable, str(REPO / "bench" / "ifeval_reference.py"), "--json",
                          "--data", str(data)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stderr[-2000:]  # five reference models have no file here
    printed = json.loads(out.stdout)
    assert printed == {"ifeval": {"gpt4": printed["ifeval"]["gpt4"]},
                       "m-ifeval-ja": {m: printed["m-ifeval-ja"][m] for m in
                                       ("gpt-4o-2024-08-06", "o1-preview-2024-09-12")}}
    for bench_name, models in printed.items():
        folder, inputs, prefix = bench.BENCHMARKS[bench_name]
        docs = list(host.get("corpus", "ifeval")(path=str(data / folder / inputs))
                    .iter_documents())
        for model, figures in models.items():
            rows = read_responses(next((data / folder).glob(f"{prefix}{model}*.jsonl")))
            responses = pair_by_prompt(docs, rows).responses
            flags = [[(v.measured["strict_passed"], v.measured["loose_passed"])
                      for v in check_document(host, doc, responses[doc.id])] for doc in docs]
            for i, level in enumerate(("strict", "loose")):
                prompts = sum(all(f[i] for f in doc_flags) for doc_flags in flags)
                followed = sum(f[i] for doc_flags in flags for f in doc_flags)
                instructions = sum(len(doc_flags) for doc_flags in flags)
                # printed to two decimals
                assert figures[f"prompt_{level}"] == pytest.approx(100 * prompts / len(docs),
                                                                   abs=0.0051)
                assert figures[f"instruction_{level}"] == pytest.approx(
                    100 * followed / instructions, abs=0.0051)


def test_table_marks_matches_and_exit_status(bench, measured, monkeypatch, capsys):
    monkeypatch.setattr(bench, "measure", lambda data_dir: measured)
    assert bench.main(["--data", str(DATA)]) == 0
    out = capsys.readouterr().out
    assert "9 of 9 reference figures matched" in out and " NO" not in out
    worse = json.loads(json.dumps(measured[0]))
    worse["ifeval"]["gpt4"]["prompt_strict"] -= 1
    monkeypatch.setattr(bench, "measure", lambda data_dir: (worse, []))
    assert bench.main(["--data", str(DATA)]) == 1
    assert "NO" in capsys.readouterr().out


def test_missing_data_exits_2(bench, tmp_path, capsys):
    assert bench.main(["--data", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().err


def test_model_names_drop_prefix_and_run_stamp(bench):
    assert bench.model_name(Path("input_response_data_gpt4_20231107_145030.jsonl"),
                            "input_response_data_") == "gpt4"
    assert bench.model_name(Path("ja_input_response_data_Qwen__Qwen2.5-7B-Instruct-GPTQ-Int4"
                                 ".jsonl"), "ja_input_response_data_") == (
        "Qwen__Qwen2.5-7B-Instruct-GPTQ-Int4")
