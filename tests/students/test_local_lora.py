"""The `local` LoRA trainer, run for real on a tiny random Llama model built in the test.

No download: the model and its tokenizer come from `tiny_model.py`. Skipped only when the
`train` extra (torch, transformers, peft) is not installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason='needs the train extra: pip install -e ".[train]"')
pytest.importorskip("transformers", reason='needs the train extra: pip install -e ".[train]"')
pytest.importorskip("peft", reason='needs the train extra: pip install -e ".[train]"')

from distil.errors import UsageError  # noqa: E402
from distil.plugins import PluginHost  # noqa: E402
from distil_builtin.models.transformers_model import TransformersModel  # noqa: E402
from distil_builtin.trainers import methods  # noqa: E402
from distil_builtin.trainers.chat_examples import IGNORE_INDEX, encode  # noqa: E402
from distil_builtin.trainers.local_lora import LocalLoRATrainer  # noqa: E402
from distil_builtin.transformers_runtime import require  # noqa: E402
from tests.students.runs import training_run, write_student_recipe  # noqa: E402
from tests.students.tiny_model import (  # noqa: E402
    build_tiny_model,
    build_tokenizer,
    conversations,
    write_jsonl,
)

FAST = {"device": "cpu", "threads": 1, "lora_rank": 4, "lora_dropout": 0.0}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "base")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("data")
    examples = conversations()
    return (write_jsonl(folder / "train.jsonl", examples),
            write_jsonl(folder / "validation.jsonl", examples[:2]))


@pytest.fixture(scope="module")
def trained(tiny, data, tmp_path_factory):
    """One training run shared by the tests that inspect its results."""
    train_file, validation_file = data
    trainer = LocalLoRATrainer(base_model=str(tiny), epochs=6, batch_size=3,
                               learning_rate=1e-2, seed=3, **FAST)
    plan = trainer.prepare(train_file, validation_file)
    run_dir = tmp_path_factory.mktemp("run")
    spec = asyncio.run(trainer.train(plan, training_run(run_dir)))
    log = json.loads((run_dir / "student" / "train_log.json").read_text())
    return trainer, plan, spec, run_dir, log


# -- the loss mask ------------------------------------------------------------------------------
def test_labels_cover_the_assistant_turns_and_nothing_else():
    tokenizer = build_tokenizer()
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "The bridge reopened on Tuesday."},
        {"role": "assistant", "content": "The bridge reopened."},
        {"role": "user", "content": "Shorter."},
        {"role": "assistant", "content": "Bridge open."},
    ]
    example = encode(tokenizer, messages, max_length=1024)

    def ids(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    first_prompt = ids("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"
                       "The bridge reopened on Tuesday.<|im_end|>\n<|im_start|>assistant\n")
    first_answer = ids("The bridge reopened.<|im_end|>\n")
    second_prompt = ids("<|im_start|>user\nShorter.<|im_end|>\n<|im_start|>assistant\n")
    second_answer = ids("Bridge open.<|im_end|>\n")
    assert example.input_ids == first_prompt + first_answer + second_prompt + second_answer
    ignored = [IGNORE_INDEX]
    assert example.labels == (ignored * len(first_prompt) + first_answer
                              + ignored * len(second_prompt) + second_answer)
    trained = [t for t, label in zip(example.input_ids, example.labels) if label != IGNORE_INDEX]
    assert tokenizer.decode(trained) == "The bridge reopened.<|im_end|>\nBridge open.<|im_end|>\n"
    assert example.trained_tokens == len(first_answer) + len(second_answer)


def test_an_assistant_turn_with_weight_0_is_context_only():
    tokenizer = build_tokenizer()
    messages = [{"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Wrong answer.", "weight": 0},
                {"role": "user", "content": "Again"},
                {"role": "assistant", "content": "Right."}]
    example = encode(tokenizer, messages, max_length=1024)
    trained = [t for t, label in zip(example.input_ids, example.labels) if label != IGNORE_INDEX]
    assert tokenizer.decode(trained) == "Right.<|im_end|>\n"
    assert "Wrong answer." in tokenizer.decode(example.input_ids)


def test_long_examples_are_cut_to_max_length():
    tokenizer = build_tokenizer()
    messages = conversations()[0]["messages"]
    full = encode(tokenizer, messages, max_length=1024)
    cut = encode(tokenizer, messages, max_length=len(full) - 3)
    assert not full.truncated and cut.truncated
    assert cut.input_ids == full.input_ids[:-3] and cut.labels == full.labels[:-3]


# -- prepare --------------------------------------------------------------------------------------
def test_registered_as_local():
    assert PluginHost().get("trainer", "local") is LocalLoRATrainer


def test_prepare_counts_tokens_and_estimates_time(tiny, data):
    train_file, validation_file = data
    trainer = LocalLoRATrainer(base_model=str(tiny), epochs=2, batch_size=4, **FAST)
    plan = trainer.prepare(train_file, validation_file)
    tokenizer = build_tokenizer()
    expected = [encode(tokenizer, c["messages"], 1024) for c in conversations()]
    assert plan["examples"] == 6 and plan["validation_examples"] == 2
    assert plan["tokens_per_epoch"] == sum(len(e) for e in expected)
    assert plan["trained_tokens_per_epoch"] == sum(e.trained_tokens for e in expected)
    assert plan["optimizer_steps"] == 2 * 2  # ceil(6 / 4) per epoch
    assert plan["cost"] == 0.0
    assert isinstance(plan["estimated_seconds"], int) and plan["estimated_seconds"] > 0
    assert "tokens/s measured" in plan["estimate_basis"]
    json.dumps(plan)  # the plan is stored as JSON


def test_prepare_names_the_bad_line(tiny, tmp_path):
    bad = tmp_path / "train.jsonl"
    good = json.dumps(conversations()[0])
    bad.write_text(good + "\n" + json.dumps({"messages": [{"role": "user", "content": "x"}]})
                   + "\n")
    with pytest.raises(UsageError, match=r"train.jsonl:2: .*example_missing_assistant_message"):
        LocalLoRATrainer(base_model=str(tiny), **FAST).prepare(bad, None)


def test_prepare_without_training_data_says_so(tiny, tmp_path):
    with pytest.raises(UsageError, match="no training data"):
        LocalLoRATrainer(base_model=str(tiny), **FAST).prepare(tmp_path / "train.jsonl", None)


def test_an_unknown_base_model_is_a_usage_error(tmp_path):
    trainer = LocalLoRATrainer(base_model=str(tmp_path / "nowhere" / "model.gguf"), **FAST)
    with pytest.raises(UsageError, match="model not found"):
        trainer._resolve()


def test_a_missing_package_names_the_extra():
    with pytest.raises(UsageError, match=r'pip install -e "\.\[train\]"'):
        require("distil_no_such_package_for_tests")


def test_a_hub_id_offline_is_a_clear_error(tmp_path, data):
    code = (
        "from pathlib import Path\n"
        "from distil.errors import UsageError\n"
        "from distil_builtin.trainers.local_lora import LocalLoRATrainer\n"
        "try:\n"
        "    LocalLoRATrainer(base_model='distil-tests/no-such-model', device='cpu')"
        f".prepare(Path({str(data[0])!r}), None)\n"
        "except UsageError as exc:\n"
        "    print(exc)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert "cannot load 'distil-tests/no-such-model' from the Hugging Face hub" in out.stdout, \
        out.stderr[-2000:]


# -- train --------------------------------------------------------------------------------------
def test_training_lowers_the_loss(trained):
    _, plan, _, _, log = trained
    losses = [s["loss"] for s in log["steps"]]
    assert len(losses) == plan["optimizer_steps"] == 6 * 2
    per_epoch = [sum(s["loss"] for s in log["steps"] if s["epoch"] == e) / 2 for e in (1, 6)]
    assert per_epoch[1] < per_epoch[0] - 0.5
    assert all(s["tokens"] > 0 and s["tokens_per_s"] > 0 for s in log["steps"])
    assert [v["epoch"] for v in log["validation"]] == [1, 2, 3, 4, 5, 6]
    assert log["validation"][-1]["loss"] < log["validation"][0]["loss"]
    assert log["tokens"] == plan["tokens_per_epoch"] * 6


def test_train_returns_the_merged_student_for_the_evaluate_stage(trained):
    _, _, spec, run_dir, _ = trained
    merged = (run_dir / "student" / "merged").resolve()
    assert spec == {"transformers": {"model": str(merged), "device": "cpu"}}
    assert (merged / "model.safetensors").is_file() and (merged / "tokenizer.json").is_file()
    host = PluginHost()
    (name, options), = spec.items()
    model = host.get("model", name).model_validate(options)
    assert isinstance(model, TransformersModel)
    assert model.source().kind == "folder"


def test_adapter_and_merged_model_reload_and_agree(trained, tiny):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    _, _, _, run_dir, _ = trained
    student = run_dir / "student"
    assert (student / "adapter" / "adapter_config.json").is_file()
    assert (student / "adapter" / "adapter_model.safetensors").is_file()
    base = AutoModelForCausalLM.from_pretrained(str(tiny)).eval()
    ids = torch.tensor([[1, 5, 9, 40, 77, 2]])
    with torch.no_grad():
        base_logits = base(ids).logits
        adapted = PeftModel.from_pretrained(base, str(student / "adapter")).eval()
        adapter_logits = adapted(ids).logits
        merged = AutoModelForCausalLM.from_pretrained(str(student / "merged")).eval()
        merged_logits = merged(ids).logits
    assert torch.allclose(adapter_logits, merged_logits, atol=1e-4)
    assert not torch.allclose(base_logits, merged_logits, atol=1e-3)  # training changed it


def test_training_again_reuses_the_finished_student(trained):
    trainer, plan, spec, run_dir, _ = trained
    weights = run_dir / "student" / "merged" / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert asyncio.run(trainer.train(plan, training_run(run_dir))) == spec
    assert weights.stat().st_mtime_ns == before


def test_training_leaves_the_event_loop_free_and_stops_when_cancelled(tiny, data, tmp_path,
                                                                     monkeypatch):
    """Another coroutine runs while the student trains; cancelling (Ctrl-C) stops the training
    at its next step and saves nothing half-trained."""
    train_file, _ = data
    trainer = LocalLoRATrainer(base_model=str(tiny), epochs=500, batch_size=1, **FAST)
    plan = trainer.prepare(train_file, None)
    steps: list[int] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        stepped = asyncio.Event()
        original = methods.run_loop

        def run_loop(*args, on_step, **kwargs):
            def step(record):  # runs in the training thread
                steps.append(record.step)
                loop.call_soon_threadsafe(stepped.set)
                on_step(record)
            return original(*args, on_step=step, **kwargs)

        monkeypatch.setattr(methods, "run_loop", run_loop)  # where the sft method calls it
        task = asyncio.create_task(trainer.train(plan, training_run(tmp_path / "run")))
        await asyncio.wait_for(stepped.wait(), 300)  # this coroutine ran while it trained
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert 1 <= len(steps) < plan["optimizer_steps"]
    student = tmp_path / "run" / "student"
    assert not (student / "train_log.json").exists() and not (student / "merged").exists()


# -- the whole run: the trained student is what the evaluate stage asks -------------------------
def test_the_trained_student_flows_into_the_evaluate_stage(tiny, tmp_path):
    from tests import storeview
    from tests.core.clihelp import distil

    recipe = write_student_recipe(
        tmp_path, "local-student",
        f"{{base_model: {tiny}, epochs: 2, batch_size: 2, learning_rate: 0.01, device: cpu, "
        "threads: 1, lora_rank: 4}")
    out = distil("run", str(recipe), "--run-dir", "run", cwd=tmp_path, timeout=300)
    assert out.returncode in (0, 1), out.stderr[-3000:]
    run = tmp_path / "run"
    log = json.loads((run / "student" / "train_log.json").read_text())
    assert log["examples"] == 4 and len(log["steps"]) == 2 * 2
    records = storeview.eval_records(run, "student")
    assert len(records) == 2
    assert all(r.output is not None and r.error is None for r in records)
    assert all(r.usage.completion_tokens > 0 and r.cost == 0.0 for r in records)
    results = json.loads((run / "results.json").read_text())
    assert set(results["models"]) == {"teacher", "student"}
    assert results["models"]["student"]["model"].startswith("transformers/")


# -- the real GGUF route -------------------------------------------------------------------------
@pytest.mark.slow
def test_the_smollm2_gguf_tokenizer_matches_llama_cpp_and_ends_turns_with_im_end():
    from distil_builtin.models.local import shipped_model_path
    from distil_builtin.transformers_runtime import load_tokenizer, resolve_model

    tokenizer = load_tokenizer(resolve_model("smollm2"))
    # transformers alone takes <|im_start|> as the end of sequence; the file says <|im_end|>
    assert tokenizer.eos_token == "<|im_end|>"
    messages = [{"role": "system", "content": "Summarise in one sentence."},
                {"role": "user", "content": "The Harbour Road bridge reopened on Tuesday."},
                {"role": "assistant", "content": "The bridge reopened."}]
    example = encode(tokenizer, messages, 1024)
    trained = [t for t, label in zip(example.input_ids, example.labels) if label != IGNORE_INDEX]
    assert tokenizer.decode(trained) == "The bridge reopened.<|im_end|>\n"
    llama_cpp = pytest.importorskip("llama_cpp")
    vocab = llama_cpp.Llama(model_path=str(shipped_model_path("smollm2")), vocab_only=True,
                            verbose=False)
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    assert example.input_ids == vocab.tokenize(text.encode(), add_bos=False, special=True)
    assert vocab.token_eos() == tokenizer.eos_token_id


# -- which engine serves the student -------------------------------------------------------------
def test_a_gguf_base_is_served_by_llama_cpp_with_the_gguf_adapter(tmp_path):
    from distil_builtin.transformers_runtime import ModelSource

    trainer = LocalLoRATrainer(serve_params={"max_tokens": 40}, **FAST)
    gguf = ModelSource(str(tmp_path), "base.Q4_1.gguf", "gguf", "base.Q4_1.gguf")
    spec = trainer._student_spec(gguf, tmp_path / "merged", tmp_path / "adapter.gguf")
    assert spec == {"local": {"model": str(tmp_path / "base.Q4_1.gguf"),
                              "lora_path": str((tmp_path / "adapter.gguf").resolve()),
                              "params": {"max_tokens": 40}}}
    folder = ModelSource(str(tmp_path), None, "folder", str(tmp_path))
    spec = trainer._student_spec(folder, tmp_path / "merged", tmp_path / "adapter.gguf")
    assert spec == {"transformers": {"model": str((tmp_path / "merged").resolve()),
                                     "device": "cpu", "params": {"max_tokens": 40}}}


def test_serve_params_do_not_retrain_but_training_options_do(data):
    plan = {"train_file": str(data[0]), "validation_file": None}
    first = LocalLoRATrainer(**FAST)._fingerprint(plan)
    assert LocalLoRATrainer(serve_params={"temperature": 0.7}, **FAST)._fingerprint(plan) == first
    assert LocalLoRATrainer(**{**FAST, "lora_rank": 2})._fingerprint(plan) != first



def test_the_seed_reproduces_the_adapter_bit_for_bit_on_cpu(trained, tmp_path):
    trainer, plan, _, run_dir, _ = trained
    asyncio.run(trainer.train(plan, training_run(tmp_path / "again")))
    name = "student/adapter/adapter_model.safetensors"
    assert (tmp_path / "again" / name).read_bytes() == (run_dir / name).read_bytes()
