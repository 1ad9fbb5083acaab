"""What makes the `local` trainer's training worth its name: the loss is taken on the answers
alone, the best epoch is kept, the seed reproduces the adapter across processes, and the
precision follows the device.

On the tiny random Llama of tiny_model.py (no download); the GPU path is chosen here but not
run (CPU is the tested path).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason='needs the train extra: pip install -e ".[train]"')
pytest.importorskip("peft", reason='needs the train extra: pip install -e ".[train]"')

from distil_builtin import transformers_runtime  # noqa: E402
from distil_builtin.trainers import lora_loop  # noqa: E402
from distil_builtin.trainers.chat_examples import encode  # noqa: E402
from distil_builtin.trainers.local_lora import LocalLoRATrainer  # noqa: E402
from distil_builtin.trainers.lora_loop import LoopSettings, evaluate_loss, run_loop  # noqa: E402
from distil_builtin.transformers_runtime import pick_dtype  # noqa: E402
from tests.students.tiny_model import (  # noqa: E402
    build_tiny_model,
    build_tokenizer,
    conversations,
    write_jsonl,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "base")


def _lora(tiny: Path, seed: int = 0):
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    trainer = LocalLoRATrainer(base_model=str(tiny), device="cpu", lora_rank=4,
                               lora_dropout=0.0)
    return trainer._lora_model(AutoModelForCausalLM.from_pretrained(str(tiny)))


def _settings(tokenizer, **changes) -> LoopSettings:
    values = dict(epochs=3, batch_size=2, gradient_accumulation=1, learning_rate=1e-2, seed=1,
                  device="cpu", pad_token_id=tokenizer.pad_token_id)
    return LoopSettings(**{**values, **changes})


# -- the loss -----------------------------------------------------------------------------------
def test_the_loss_is_the_cross_entropy_of_the_answer_tokens_only(tiny):
    """Computed here from the text alone: the answer's tokens (and its end-of-turn) predicted
    from everything before them. Counting the prompt's tokens too gives another figure."""
    tokenizer = build_tokenizer()
    model = _lora(tiny).eval()
    messages = conversations()[0]["messages"]
    example = encode(tokenizer, messages, 1024)
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False,
                                           add_generation_prompt=True)
    n_prompt = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    ids = torch.tensor([example.input_ids])
    with torch.no_grad():
        logits = model(ids).logits[0, :-1]
    per_token = torch.nn.functional.cross_entropy(logits, ids[0, 1:], reduction="none")
    answer_only = float(per_token[n_prompt - 1:].mean())
    everything = float(per_token.mean())
    assert abs(answer_only - everything) > 0.05  # the two differ: the test can tell them apart
    loss = evaluate_loss(model, [example], _settings(tokenizer))
    assert loss == pytest.approx(answer_only, rel=1e-4)


def test_a_training_step_takes_the_same_loss(tiny):
    tokenizer = build_tokenizer()
    model = _lora(tiny)
    example = encode(tokenizer, conversations()[1]["messages"], 1024)
    expected = evaluate_loss(model, [example], _settings(tokenizer))
    result = run_loop(model, [example], [], _settings(tokenizer, epochs=1, learning_rate=1e-9),
                      progress=False)
    assert result.steps[0].loss == pytest.approx(expected, rel=1e-4)


# -- the best epoch -----------------------------------------------------------------------------
@pytest.mark.parametrize(("keep_best", "kept"), [(True, 2), (False, 4)])
def test_the_epoch_with_the_lowest_validation_loss_is_kept(tiny, monkeypatch, keep_best, kept):
    tokenizer = build_tokenizer()
    model = _lora(tiny)
    examples = [encode(tokenizer, c["messages"], 1024) for c in conversations()]
    scripted = iter([3.0, 1.0, 2.0, 1.5])  # epoch 2 is the best
    weights: list[dict] = []

    def validation_loss(model, examples, settings):
        weights.append({n: p.detach().clone() for n, p in model.named_parameters()
                        if p.requires_grad})
        return next(scripted)

    monkeypatch.setattr(lora_loop, "evaluate_loss", validation_loss)
    result = run_loop(model, examples[:4], examples[4:],
                      _settings(tokenizer, epochs=4, keep_best=keep_best), progress=False)
    assert result.best == {"epoch": 2, "loss": 1.0}
    assert result.kept_epoch == kept
    final = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    assert all(torch.equal(final[n], weights[kept - 1][n]) for n in final)
    assert not all(torch.equal(weights[1][n], weights[3][n]) for n in final)  # epochs differ


def test_the_train_log_records_the_epoch_kept(tiny, tmp_path):
    import asyncio

    from tests.students.runs import training_run

    examples = conversations()
    train = write_jsonl(tmp_path / "train.jsonl", examples)
    validation = write_jsonl(tmp_path / "validation.jsonl", examples[:2])
    trainer = LocalLoRATrainer(base_model=str(tiny), epochs=2, batch_size=3, device="cpu",
                               threads=1, lora_rank=4, learning_rate=1e-2)
    plan = trainer.prepare(train, validation)
    asyncio.run(trainer.train(plan, training_run(tmp_path / "run")))
    log = json.loads((tmp_path / "run" / "student" / "train_log.json").read_text())
    best = min(log["validation"], key=lambda v: v["loss"])
    assert log["best_validation"] == best and log["kept_epoch"] == best["epoch"]
    assert log["dtype"] == "float32"  # the CPU's


# -- the seed, across processes -----------------------------------------------------------------
TRAIN_ONCE = textwrap.dedent("""\
    import asyncio, sys
    from pathlib import Path
    from distil_builtin.trainers.local_lora import LocalLoRATrainer
    from tests.students.runs import training_run
    base, data, run = (Path(a) for a in sys.argv[1:4])
    trainer = LocalLoRATrainer(base_model=str(base), epochs=2, batch_size=2, seed=11,
                               device="cpu", threads=1, lora_rank=4, lora_dropout=0.1,
                               learning_rate=1e-2)
    plan = trainer.prepare(data / "train.jsonl", data / "validation.jsonl")
    asyncio.run(trainer.train(plan, training_run(run)))
    """)


def test_the_seed_reproduces_the_adapter_bit_for_bit_in_another_process(tiny, tmp_path):
    """Two processes with different hash seeds (set and dict order) train the same adapter,
    dropout included; another seed trains another one."""
    examples = conversations()
    write_jsonl(tmp_path / "train.jsonl", examples)
    write_jsonl(tmp_path / "validation.jsonl", examples[:2])
    adapters = []
    for i, (hash_seed, code) in enumerate(((1, TRAIN_ONCE), (2, TRAIN_ONCE),
                                           (1, TRAIN_ONCE.replace("seed=11", "seed=12")))):
        env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
        run = tmp_path / f"run{i}"
        out = subprocess.run([sys.executable, "-c", code, str(tiny), str(tmp_path), str(run)],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        adapters.append((run / "student" / "adapter" / "adapter_model.safetensors").read_bytes())
    assert adapters[0] == adapters[1]
    assert adapters[2] != adapters[0]


# -- device and precision -----------------------------------------------------------------------
def test_bfloat16_is_chosen_on_a_gpu_that_has_it_and_float32_elsewhere(monkeypatch):
    monkeypatch.setattr(transformers_runtime, "_bf16_supported", lambda: True)
    assert pick_dtype("auto", "cuda") == "bfloat16"
    assert pick_dtype("auto", "cpu") == "float32"
    assert pick_dtype("float32", "cuda") == "float32"  # overridable
    monkeypatch.setattr(transformers_runtime, "_bf16_supported", lambda: False)
    assert pick_dtype("auto", "cuda") == "float32"
    with pytest.raises(Exception, match="does not support it"):
        pick_dtype("bfloat16", "cuda")


def test_a_bfloat16_model_trains_its_float32_adapter(tiny):
    """The GPU's precision, run on the CPU: the base in bfloat16, the adapter in float32."""
    from distil_builtin.transformers_runtime import load_model, resolve_model

    tokenizer = build_tokenizer()
    model = LocalLoRATrainer(base_model=str(tiny), lora_rank=4)._lora_model(
        load_model(resolve_model(str(tiny)), "cpu", "bfloat16"))
    assert {p.dtype for p in model.parameters() if not p.requires_grad} == {torch.bfloat16}
    examples = [encode(tokenizer, c["messages"], 1024) for c in conversations()]
    result = run_loop(model, examples, [], _settings(tokenizer, epochs=2), progress=False)
    assert all(s.loss == s.loss for s in result.steps)  # no NaN
    assert result.steps[-1].loss < result.steps[0].loss
