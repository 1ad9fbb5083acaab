"""The `local` trainer's GRPO methods, run for real with TRL.

- On the shipped SmolLM2 GGUF (slow, real weights): a short GRPO run whose logged rewards are
  recomputed here from the logged completions with the recipe's constraints, and whose exported
  adapter llama.cpp loads and answers with.
- On the tiny random model of `tiny_model.py` (no download, a fraction of a second a step):
  cancelling saves a checkpoint, a killed run resumes from its last checkpoint rather than from
  step 0, `sft+grpo` keeps its finished SFT phase, and `distil run` carries the GRPO curve into
  the report.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch", reason='needs the train extra: pip install -e ".[train]"')
pytest.importorskip("peft", reason='needs the train extra: pip install -e ".[train]"')
pytest.importorskip("trl", reason='needs the train extra: pip install -e ".[train]"')

from distil.errors import UsageError  # noqa: E402
from distil.kinds import ConstraintSet  # noqa: E402
from distil.kinds.trainer import PromptTask  # noqa: E402
from distil.types import Document, Message  # noqa: E402
from distil_builtin.constraints.char_count import CharCount  # noqa: E402
from distil_builtin.trainers import grpo_loop, methods  # noqa: E402
from distil_builtin.trainers.local_lora import LocalLoRATrainer  # noqa: E402
from distil_builtin.trainers.rewards import reward  # noqa: E402
from tests.students.runs import training_run, write_student_recipe  # noqa: E402
from tests.students.tiny_model import (  # noqa: E402
    EXAMPLES,
    SYSTEM,
    build_tiny_model,
    conversations,
    write_jsonl,
)

REPO = Path(__file__).resolve().parents[2]
TINY = {"device": "cpu", "threads": 1, "lora_rank": 4, "lora_dropout": 0.0, "seed": 5,
        "group_size": 2, "max_new_tokens": 6, "grpo_learning_rate": 1e-3}


def tasks(constraints: ConstraintSet, texts=tuple(t for t, _ in EXAMPLES)) -> tuple:
    return tuple(PromptTask(Document(f"d{i}", text),
                            (Message("system", SYSTEM), Message("user", text)), constraints)
                 for i, text in enumerate(texts))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "base")


@pytest.fixture(scope="module")
def train_file(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("data") / "train.jsonl", conversations())


WORDS = ConstraintSet([CharCount(unit="words", max=3, label="words")])


def recomputed(folder: Path, constraints: ConstraintSet, shape: str, weights=None):
    """Each step's completions scored again here, from their text."""
    by_step: dict[int, list[tuple[float, bool]]] = {}
    for line in (folder / "completions.jsonl").read_text().splitlines():
        entry = json.loads(line)
        verdicts = constraints.check(entry["completion"])
        by_step.setdefault(entry["step"], []).append(
            (reward(verdicts, shape, weights), all(v.passed for v in verdicts)))
        assert entry["reward"] == pytest.approx(by_step[entry["step"]][-1][0], abs=1e-12)
        assert entry["passed"] == by_step[entry["step"]][-1][1]
    return by_step


# -- the real model --------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.timeout(1800)  # 45 s idle; it ran past 600 s with the load average at 13
def test_a_short_grpo_run_on_smollm2_logs_rewards_the_constraints_agree_with(tmp_path,
                                                                             train_file):
    pytest.importorskip("llama_cpp")
    from distil_builtin.models.local import LocalModel

    constraints = ConstraintSet([CharCount(unit="words", min=3, max=8, label="words"),
                                 CharCount(unit="chars", max=60, label="chars")])
    news = [json.loads(line)["body"][:300] for line in
            (REPO / "plugins/distil_builtin/data/sample_news.jsonl").read_text().splitlines()[:2]]
    prompts = tuple(PromptTask(Document(f"n{i}", text),
                               (Message("system", "Summarise the article in five words."),
                                Message("user", text)), constraints)
                    for i, text in enumerate(news))
    weights = {"words": 2.0}
    trainer = LocalLoRATrainer(method="grpo", grpo_steps=2, group_size=2, prompts_per_step=1,
                               max_new_tokens=12, reward_weights=weights, device="cpu",
                               seed=1, serve_params={"max_tokens": 12, "temperature": 0})
    run_dir = tmp_path / "run"
    spec = train(trainer, train_file, run_dir, prompts)

    folder = run_dir / "student" / "grpo"
    steps = [json.loads(line) for line in (folder / "steps.jsonl").read_text().splitlines()]
    assert [s["step"] for s in steps] == [1, 2]
    scored = recomputed(folder, constraints, "pass+linear", weights)
    for s in steps:
        mine = scored[s["step"]]
        assert len(mine) == 2  # one group of two
        # TRL's own logged mean reward is the mean of the rewards recomputed from the text
        assert s["reward"] == pytest.approx(sum(r for r, _ in mine) / len(mine), abs=1e-5)
        assert s["pass_rate"] == sum(p for _, p in mine) / len(mine)
        assert s["kl"] is not None and s["completion_length"] > 0
    log = json.loads((run_dir / "student" / "train_log.json").read_text())
    assert log["method"] == "grpo" and log["grpo_steps"] == 2 and log["steps"] == []

    # the same exports as an SFT student: peft adapter, GGUF adapter, served by llama.cpp
    assert (run_dir / "student" / "adapter" / "adapter_model.safetensors").is_file()
    assert spec["local"]["lora_path"].endswith("adapter.gguf")
    student = LocalModel(**spec["local"])
    answer = asyncio.run(student.complete([Message("user", "Say hello.")]))
    assert answer.text.strip() and answer.usage.completion_tokens > 0


# -- fast, on the tiny model -------------------------------------------------------------------
def train(trainer: LocalLoRATrainer, train_file: Path, run_dir: Path, prompts: tuple) -> dict:
    plan = trainer.prepare(train_file, None)
    return asyncio.run(trainer.train(plan, training_run(run_dir, prompts=prompts)))


def logged_steps(run_dir: Path) -> list[int]:
    return [json.loads(line)["step"] for line in
            (run_dir / "student" / "grpo" / "steps.jsonl").read_text().splitlines()]


def completions_per_step(run_dir: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for line in (run_dir / "student" / "grpo" / "completions.jsonl").read_text().splitlines():
        step = json.loads(line)["step"]
        counts[step] = counts.get(step, 0) + 1
    return counts


def test_cancelling_grpo_saves_a_checkpoint_and_the_next_run_carries_on_from_it(
        tiny, train_file, tmp_path, monkeypatch):
    trainer = LocalLoRATrainer(base_model=str(tiny), method="grpo", grpo_steps=5,
                               checkpoint_every=100, **TINY)
    prompts = tasks(WORDS)
    run_dir = tmp_path / "run"
    shown: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        stepped = asyncio.Event()
        original = grpo_loop.describe_step

        def describe(record):  # runs in the training thread, once per logged step
            shown.append(original(record))
            loop.call_soon_threadsafe(stepped.set)
            return shown[-1]

        monkeypatch.setattr(grpo_loop, "describe_step", describe)
        plan = trainer.prepare(train_file, None)
        task = asyncio.create_task(trainer.train(plan, training_run(run_dir, prompts=prompts)))
        await asyncio.wait_for(stepped.wait(), 300)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    monkeypatch.undo()
    folder = run_dir / "student" / "grpo"
    stopped_at = len(logged_steps(run_dir))
    assert 1 <= stopped_at < 5
    # checkpoint_every is 100: the checkpoint is the one the stop itself saved
    assert grpo_loop.last_checkpoint(folder).name == f"checkpoint-{stopped_at}"
    assert not (run_dir / "student" / "train_log.json").exists()
    assert not (run_dir / "student" / "adapter").exists()

    train(trainer, train_file, run_dir, prompts)
    log = json.loads((run_dir / "student" / "train_log.json").read_text())
    assert log["grpo_resumed_from"] == stopped_at
    assert logged_steps(run_dir) == list(range(1, 6))
    assert completions_per_step(run_dir) == {step: 2 for step in range(1, 6)}
    assert (run_dir / "student" / "adapter" / "adapter_model.safetensors").is_file()
    # TRL's frozen reference adapter is not part of the student
    assert not (run_dir / "student" / "adapter" / "ref").exists()


def test_a_resumed_folder_forgets_the_steps_after_its_checkpoint(tmp_path):
    folder = tmp_path / "grpo"
    (folder / "checkpoint-2").mkdir(parents=True)
    (folder / "checkpoint-2" / "trainer_state.json").write_text("{}")
    (folder / "checkpoint-3").mkdir()  # killed while it was written: no trainer_state.json
    (folder / "grpo.json").write_text(json.dumps({"fingerprint": "same"}))
    for name in ("steps.jsonl", "completions.jsonl"):
        write_jsonl(folder / name, [{"step": n} for n in (1, 1, 2, 2, 3, 3)])
    assert grpo_loop.prepare_folder(folder, "same") == folder / "checkpoint-2"
    for name in ("steps.jsonl", "completions.jsonl"):
        steps = [json.loads(line)["step"] for line in (folder / name).read_text().splitlines()]
        assert steps == [1, 1, 2, 2]
    # another training's checkpoints are not carried on
    assert grpo_loop.prepare_folder(folder, "other") is None
    assert sorted(p.name for p in folder.iterdir()) == ["grpo.json"]


KILLED_RUN = """
import asyncio, sys
from pathlib import Path
from tests.students import test_grpo as t
trainer = t.LocalLoRATrainer(base_model=sys.argv[1], method="sft+grpo", grpo_steps=6,
                             checkpoint_every=2, epochs=1, batch_size=3, **t.TINY)
t.train(trainer, Path(sys.argv[2]), Path(sys.argv[3]), t.tasks(t.WORDS))
"""


def test_a_killed_sft_grpo_run_resumes_from_its_last_checkpoint_not_from_step_0(
        tiny, train_file, tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    folder = run_dir / "student" / "grpo"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(tiny), str(train_file),
                             str(run_dir)], cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while grpo_loop.last_checkpoint(folder) is None and proc.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint within 240 s"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()[-3000:]
    resume_from = int(grpo_loop.last_checkpoint(folder).name.split("-")[1])
    assert resume_from < 6
    sft_log = run_dir / "student" / "sft" / "sft_log.json"
    sft_steps = json.loads(sft_log.read_text())["steps"]

    def no_sft_again(*args, **kwargs):
        raise AssertionError("the finished SFT phase was trained again")

    monkeypatch.setattr(methods, "run_loop", no_sft_again)
    trainer = LocalLoRATrainer(base_model=str(tiny), method="sft+grpo", grpo_steps=6,
                               checkpoint_every=2, epochs=1, batch_size=3, **TINY)
    train(trainer, train_file, run_dir, tasks(WORDS))
    log = json.loads((run_dir / "student" / "train_log.json").read_text())
    assert log["grpo_resumed_from"] == resume_from
    assert log["method"] == "sft+grpo"
    assert [{k: v for k, v in s.items() if k != "tokens_per_s"} for s in log["steps"]] == sft_steps
    assert logged_steps(run_dir) == list(range(1, 7))
    assert completions_per_step(run_dir) == {step: 2 for step in range(1, 7)}


def test_distil_run_trains_sft_then_grpo_and_the_report_plots_the_steps(tiny, tmp_path):
    from tests.core.clihelp import distil

    recipe = write_student_recipe(
        tmp_path, "grpo-student",
        f"{{base_model: {tiny}, method: sft+grpo, epochs: 1, batch_size: 2, grpo_steps: 3, "
        "group_size: 2, max_new_tokens: 6, device: cpu, threads: 1, lora_rank: 4}",
        report="[html, json]")
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, timeout=300)
    assert out.returncode in (0, 1), out.stderr[-3000:]
    run = tmp_path / "run"
    results = json.loads((run / "results.json").read_text())
    steps = results["training"]["steps"]
    assert results["training"]["method"] == "sft+grpo"
    assert [s["step"] for s in steps] == [1, 2, 3]
    assert all(0 <= s["pass_rate"] <= 1 and s["reward"] is not None for s in steps)
    # every prompt of the train split was a GRPO prompt, judged by the recipe's constraint
    used = {json.loads(line)["doc_id"] for line in
            (run / "student" / "grpo" / "completions.jsonl").read_text().splitlines()}
    assert used <= {d for d in (f"d{i}" for i in range(8))} and used
    page = (run / "report.html").read_text()
    assert "mean reward per GRPO step" in page and "pass rate per GRPO step" in page
    assert set(results["models"]) == {"teacher", "student"}


# -- options, plans, refusals -----------------------------------------------------------------
def test_the_plan_says_what_grpo_will_do(tiny, train_file):
    sft = LocalLoRATrainer(base_model=str(tiny), epochs=2, batch_size=3, **TINY)
    plan = sft.prepare(train_file, None)
    assert plan["method"] == "sft" and "grpo_steps" not in plan
    both = LocalLoRATrainer(base_model=str(tiny), method="sft+grpo", epochs=2, batch_size=3,
                            grpo_steps=7, prompts_per_step=2, **TINY).prepare(train_file, None)
    assert both["optimizer_steps"] == plan["optimizer_steps"] == 4
    assert both["grpo_steps"] == 7 and both["grpo_completions_per_step"] == 4
    assert both["estimated_seconds"] > plan["estimated_seconds"]
    alone = LocalLoRATrainer(base_model=str(tiny), method="grpo", epochs=2, batch_size=3,
                             **TINY).prepare(train_file, None)
    assert alone["optimizer_steps"] == 0 and alone["epochs"] == 0


def test_what_retrains_the_student(train_file):
    plan = {"train_file": str(train_file), "validation_file": None}
    base = LocalLoRATrainer(**TINY)
    # an SFT student does not depend on the GRPO options
    assert LocalLoRATrainer(**TINY, grpo_steps=99)._fingerprint(plan, sft_only=True) == \
        base._fingerprint(plan, sft_only=True)
    assert LocalLoRATrainer(method="grpo", **TINY)._fingerprint(plan) != base._fingerprint(plan)
    one, other = tasks(WORDS), tasks(ConstraintSet([CharCount(unit="words", max=4, label="words")]))
    assert methods.with_prompts("f", one) == methods.with_prompts("f", tasks(WORDS))
    assert methods.with_prompts("f", one) != methods.with_prompts("f", other)
    assert methods.with_prompts("f", one) != methods.with_prompts("f", one[:-1])


def test_weights_must_name_a_constraint_and_grpo_needs_prompts(tmp_path):
    with pytest.raises(UsageError, match=r"reward_weights names 'wrds', which is no constraint "
                                         r"of the recipe \(constraints: words\)"):
        grpo_loop.check_weights({"wrds": 2.0}, tasks(WORDS))
    grpo_loop.check_weights({"words": 2.0}, tasks(WORDS))
    settings = LocalLoRATrainer(method="grpo", **TINY).grpo_settings(0, "cpu")
    with pytest.raises(UsageError, match="method grpo needs prompts"):
        grpo_loop.run_grpo(None, None, (), settings, tmp_path, "f", None)


def test_an_sft_student_reports_no_grpo_figures(tmp_path):
    run = training_run(tmp_path)
    assert LocalLoRATrainer(**TINY).figures(run) is None
    assert LocalLoRATrainer(method="grpo", **TINY).figures(run) is None  # nothing trained yet


def test_the_prompts_digest_does_not_depend_on_what_the_registry_has_loaded(monkeypatch):
    """A resumed run compares the digest its killed predecessor wrote: a constraint must digest
    the same whether or not its class has been registered (and named) in this process."""
    before = methods.prompts_digest(tasks(WORDS))
    monkeypatch.setattr(CharCount, "plugin_name", "renamed-by-registration")
    assert methods.prompts_digest(tasks(WORDS)) == before
    assert methods.prompts_digest(tasks(WORDS, texts=("another prompt",))) != before
