"""The engine end to end on the scripted model: refine, exports, store, resume, failures."""

import json
import statistics
import textwrap
from pathlib import Path

import pytest

from tests import storeview
from tests.core.clihelp import distil

PLUGINS = Path(__file__).parent / "plugins_dir"


def recipe(tmp_path: Path, *, outputs, strategy="{refine: {max_rounds: 3}}", docs=6,
           split="{train: 3, validation: 1, test: 2}", extra="") -> Path:
    items = ", ".join(f'{{id: d{i}, text: "Document number {i}."}}' for i in range(docs))
    text = textwrap.dedent(f"""\
        name: engine-test
        plugins: [{PLUGINS}]
        corpus:
          inline:
            documents: [{items}]
          seed: 11
          split: {split}
        prompt:
          system: "Summarise in at most five words."
          user: "{{{{ doc.text }}}}"
        constraints:
          - wordy/max_words: {{limit: 5}}
        teacher:
          model: {{scripted: {{outputs: {json.dumps(outputs)}}}}}
          strategy: {strategy}
          concurrency: 1
        evaluate:
          models: [teacher]
          metrics: [length_stats, pass_rate]
        """) + extra
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


def test_refine_sends_feedback_and_exports_accepted_samples(tmp_path):
    long = "one two three four five six seven"
    r = recipe(tmp_path, outputs=[long, "one two three"])
    out = distil("run", str(r), "--run-dir", "run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    run = tmp_path / "run"
    attempts = [a.attempt for a in storeview.attempts(run, "generate")]
    # each of the 4 generate documents: a failing first round, a passing second round
    assert [(a.round, a.passed) for a in attempts] == [(0, False), (1, True)] * 4
    second = [m.to_dict() for m in attempts[1].messages]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"] == long
    assert second[3]["content"] == "It is 2 words over. Make it shorter."
    train = [json.loads(line) for line in (run / "train.jsonl").read_text().splitlines()]
    assert len(train) == 3
    assert all(ex["messages"][-1] == {"role": "assistant", "content": "one two three"}
               for ex in train)
    assert [m["role"] for m in train[0]["messages"]] == ["system", "user", "assistant"]
    results = json.loads((run / "results.json").read_text())
    assert results["generate"]["accepted"] == 4
    assert results["generate"]["first_shot_pass_rate"] == 0.0
    assert results["dataset"] == {"train": 3, "validation": 1}
    assert "wrote: run/report.md" in out.stdout.splitlines() and (run / "report.md").is_file()


def test_history_last_keeps_only_the_latest_answer(tmp_path):
    r = recipe(tmp_path, outputs=["a b c d e f g", "a b c d e f g h", "ok"],
               strategy="{refine: {max_rounds: 3, history: last}}", docs=3,
               split="{train: 1, validation: 0, test: 2}")
    out = distil("run", str(r), "--run-dir", "run", "--stage", "generate", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    msgs = [[m.to_dict() for m in a.attempt.messages]
            for a in storeview.attempts(tmp_path / "run")]
    assert [len(m) for m in msgs] == [2, 4, 4]
    assert msgs[2][2]["content"] == "a b c d e f g h"
    assert msgs[2][3]["content"] == "It is 3 words over. Make it shorter."


def test_keep_closest_exports_the_nearest_attempt_when_none_passed(tmp_path):
    r = recipe(tmp_path, outputs=["a b c d e f g h", "a b c d e f"],
               strategy="{refine: {max_rounds: 2, keep: closest}}", docs=3,
               split="{train: 1, validation: 0, test: 2}")
    out = distil("run", str(r), "--run-dir", "run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (example,) = [json.loads(x) for x in (tmp_path / "run/train.jsonl").read_text().splitlines()]
    assert example["messages"][-1]["content"] == "a b c d e f"
    assert list(storeview.statuses(tmp_path / "run").values()) == ["closest"]


def test_rerunning_a_finished_run_sends_nothing_and_exports_the_same(tmp_path):
    r = recipe(tmp_path, outputs=["a b c d e f g", "a b"])
    assert distil("run", str(r), "--run-dir", "run", cwd=tmp_path).returncode == 0
    run = tmp_path / "run"
    before = storeview.attempt_count(run)
    train = (run / "train.jsonl").read_bytes()
    out = distil("run", "--resume", "run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert storeview.attempt_count(run) == before
    assert (run / "train.jsonl").read_bytes() == train


def test_length_stats_in_results_match_statistics(tmp_path):
    outputs = ["a", "a b c", "a b c d e f g h", "a b c d"]
    r = recipe(tmp_path, outputs=outputs, strategy="single", docs=4,
               split="{train: 0, validation: 0, test: 4}")
    out = distil("run", str(r), "--run-dir", "run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    results = json.loads((tmp_path / "run/results.json").read_text())
    stats = results["models"]["teacher"]["metrics"]["length_stats"]
    counts = [len(o.split()) for o in outputs]
    assert stats["n"] == 4
    assert stats["mean"] == pytest.approx(statistics.fmean(counts))
    assert stats["median"] == statistics.median(counts)
    assert (stats["min"], stats["max"]) == (min(counts), max(counts))
    assert stats["stdev"] == pytest.approx(statistics.stdev(counts))
    assert stats["variance"] == pytest.approx(statistics.variance(counts))
    rate = results["models"]["teacher"]["metrics"]["pass_rate"]
    assert rate["passed"] == 3 and rate["n"] == 4
    table = (tmp_path / "run/report.md").read_text()
    assert f"| mean | {statistics.fmean(counts):.1f}" in table


def test_changed_recipe_refuses_to_resume(tmp_path):
    r = recipe(tmp_path, outputs=["a"])
    assert distil("run", str(r), "--run-dir", "run", cwd=tmp_path).returncode == 0
    r.write_text(r.read_text().replace("seed: 11", "seed: 12"))
    out = distil("run", str(r), "--run-dir", "run", cwd=tmp_path)
    assert out.returncode == 2
    assert "changed since this run started" in out.stderr
    # --resume alone carries on with the run's own copy of the recipe, as it was
    out = distil("run", "--resume", "run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "seed: 11" in (tmp_path / "run" / "recipe.yaml").read_text()


def test_best_of_n_keeps_the_first_passing_candidate(tmp_path):
    r = recipe(tmp_path, outputs=["a b c d e f g", "a b c", "a b"],
               strategy="{best_of_n: {n: 3}}", docs=3, split="{train: 1, validation: 0, test: 2}")
    out = distil("run", str(r), "--run-dir", "run", "--stage", "generate", "--stage", "export",
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    restarts = sorted((a.attempt.restart, a.attempt.passed)
                      for a in storeview.attempts(tmp_path / "run"))
    assert restarts == [(0, False), (1, True), (2, True)]
    (example,) = [json.loads(x) for x in (tmp_path / "run/train.jsonl").read_text().splitlines()]
    assert example["messages"][-1]["content"] == "a b c"


def test_max_cost_stops_before_the_budget_is_passed(tmp_path):
    # the scripted model reports no cost, so use a plugin model with a price per request
    (tmp_path / "priced").mkdir()
    (tmp_path / "priced" / "priced.py").write_text(textwrap.dedent('''
        from distil.hookspecs import hookimpl
        from distil.kinds import Model
        from distil.types import Completion

        class Priced(Model):
            """Costs one cent per answer."""
            async def complete(self, messages, params=None):
                return Completion(text="a b c", cost=0.01)

        @hookimpl
        def register_models(register):
            register("priced", Priced)
    '''))
    r = recipe(tmp_path, outputs=["x"], docs=6, split="{train: 6, validation: 0, test: 0}")
    r.write_text(r.read_text().replace('{scripted: {outputs: ["x"]}}', "priced/priced/m")
                 .replace(f"plugins: [{PLUGINS}]", f"plugins: [{PLUGINS}, priced]"))
    assert "priced/priced/m" in r.read_text()
    out = distil("run", str(r), "--run-dir", "run", "--no-cache", "--max-cost", "0.035",
                 cwd=tmp_path)
    assert out.returncode == 1
    assert "stopping before the budget of $0.0350 is passed" in out.stderr
    spent = storeview.totals(tmp_path / "run")
    assert spent["requests"] == 3 and spent["cost"] == pytest.approx(0.03)


def test_best_of_n_exports_the_chosen_candidate_when_candidates_finish_out_of_order(tmp_path):
    # candidate i gets seed i (the engine gives each fresh conversation seed + restart); later
    # candidates answer sooner, and only the last one passes
    (tmp_path / "slow").mkdir()
    (tmp_path / "slow" / "slow.py").write_text(textwrap.dedent('''
        import asyncio
        from distil.hookspecs import hookimpl
        from distil.kinds import Model
        from distil.types import Completion

        ANSWERED = {}  # seed -> set once the candidate with that seed has answered

        def answered(seed):
            return ANSWERED.setdefault(seed, asyncio.Event())

        class Staggered(Model):
            """Candidate with seed s answers only once seed s + 1 has (seed 2 at once), so
            they finish in the order 2, 1, 0 whatever the machine's speed; only 2 is short."""
            async def complete(self, messages, params=None):
                seed = (params or {}).get("seed", self.params.get("seed", 0))
                if seed < 2:
                    try:
                        await asyncio.wait_for(answered(seed + 1).wait(), 30)
                    except asyncio.TimeoutError:
                        raise RuntimeError(f"candidate {seed} waited 30 s for candidate "
                                           f"{seed + 1}: they were not asked at once") from None
                answered(seed).set()
                return Completion(text="a b c" if seed == 2 else f"long answer {seed} " * 4)

        @hookimpl
        def register_models(register):
            register("staggered", Staggered)
    '''))
    r = recipe(tmp_path, outputs=["x"], strategy="{best_of_n: {n: 3, params: {}}}", docs=3,
               split="{train: 1, validation: 0, test: 2}")
    r.write_text(r.read_text().replace('{scripted: {outputs: ["x"]}}',
                                       "{slow/staggered: {params: {seed: 0}}}")
                 .replace(f"plugins: [{PLUGINS}]", f"plugins: [{PLUGINS}, slow]"))
    out = distil("run", str(r), "--run-dir", "run", "--stage", "generate", "--stage", "export",
                 "--no-cache", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    finished = [a.attempt.restart for a in storeview.attempts(tmp_path / "run")]
    assert finished == [2, 1, 0]  # committed in the order they finished
    (example,) = [json.loads(x) for x in (tmp_path / "run/train.jsonl").read_text().splitlines()]
    assert example["messages"][-1]["content"] == "a b c"
