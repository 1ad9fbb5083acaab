"""The GGUF adapter is right, not only written: llama.cpp (base GGUF + adapter.gguf) picks the
same greedy next token as transformers (the merged student) at >= 95% of positions.

The base is the shipped SmolLM2-135M GGUF, quantised Q4_1. transformers dequantises it to
float32 for training, so both engines start from the same weights; llama.cpp still computes
with quantised dot products, so even the two *bases* do not agree everywhere. The test
therefore measures three figures over the same held-out positions:

- `base`: llama.cpp base vs transformers base (the floor set by the engines themselves);
- `student`: llama.cpp base + adapter.gguf vs transformers merged student (the claim);
- `changed`: how often the adapter changes llama.cpp's own greedy token — the adapter is
  trained hard (high learning rate) so that this is large, and a wrong conversion (a wrong
  name, transposition or q/k row order) could not hide behind an adapter that does nothing;
- `merged`: llama.cpp running `student.gguf` (the base with the adapter merged in, Q8_0, the
  default) vs the same transformers student; `merged_f16`: the same merge in F16, whose
  arithmetic is close to transformers' float32, so that a wrong merge shows above the engines'
  own rounding; `broken_qk` and `broken_scale`: F16 merges written wrong on purpose (the
  query/key rows left in transformers' order; the update scaled by alpha, not alpha / r),
  which the right merge must beat.

One adapter is trained and every figure is measured on it, so the merged-GGUF checks add only
four merges (seconds each) and four llama.cpp passes over the held-out positions. The seed
and the thread count are fixed, so the adapter, and every figure, is the same in every
process (before, the LoRA factors were drawn from whatever state earlier tests had left
torch's random generator in, and the figures moved between runs).

Slow: minutes on 2 cores (dequantising the GGUF, a few training steps, reading the base's
tensor names).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch", reason='needs the train extra: pip install -e ".[train]"')
pytest.importorskip("peft", reason='needs the train extra: pip install -e ".[train]"')
llama_cpp = pytest.importorskip("llama_cpp")

from distil_builtin.trainers.local_lora import LocalLoRATrainer

from tests.students.tiny_model import EXAMPLES, SYSTEM, conversations

HELD_OUT = [
    "The city council voted on Monday to plant two thousand trees along the river path.",
    "A small museum in the old mill will show tools used by farmers a century ago.",
    "The ferry service to the island was cancelled for two days because of strong winds.",
    "Students at the secondary school built a weather station on the roof of the gym.",
    "The bakery on Elm Street won a regional prize for its rye bread this weekend.",
    "Engineers will test the new tram line at night before it opens to passengers in May.",
]
ANSWERS = ["Trees for the river.", "Museum shows old tools.", "Ferry cancelled.",
           "Students built a station.", "Bakery won a prize.", "Tram tests begin."]
# The issue asks for >= 95%, which alone does not catch a conversion error: with the q/k row
# reordering left out on purpose, llama.cpp + adapter still agreed at 95.5% (as often as the two
# bases). Hence the comparisons beside it: above the bases' own agreement, and (for the merged
# GGUF, in F16) above merges broken on purpose.
MIN_AGREEMENT = 0.95
MIN_CHANGED = 0.10


def _sequences(tokenizer) -> list[list[int]]:
    sequences = []
    for text, answer in zip(HELD_OUT, ANSWERS):
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text},
                    {"role": "assistant", "content": answer}]
        sequences.append(tokenizer.apply_chat_template(messages, tokenize=True))
    return sequences


def _llama_argmax(llama, sequences: list[list[int]]) -> list[int]:
    import numpy as np

    out: list[int] = []
    for ids in sequences:
        llama.reset()
        llama.eval(ids)
        out.extend(int(i) for i in np.argmax(llama.scores[:len(ids)], axis=-1))
    return out


def _torch_argmax(model, sequences: list[list[int]]) -> list[int]:
    import torch

    out: list[int] = []
    with torch.no_grad():
        for ids in sequences:
            logits = model(torch.tensor([ids])).logits[0]
            out.extend(int(i) for i in logits.argmax(-1))
    return out


def _agreement(a: list[int], b: list[int]) -> float:
    assert len(a) == len(b)
    return sum(x == y for x, y in zip(a, b)) / len(a)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_llama_cpp_with_the_gguf_adapter_agrees_with_transformers(tmp_path, monkeypatch):
    """Trained in memory with the trainer's own loop (the trainer's saving of a 540 MB merged
    folder is left out: on a busy 2-core machine it alone takes minutes)."""
    from distil_builtin.trainers.chat_examples import encode
    import torch

    from distil_builtin.trainers import gguf_adapter, gguf_merge
    from distil_builtin.trainers.gguf_adapter import write_gguf_adapter
    from distil_builtin.trainers.gguf_merge import write_merged_gguf
    from distil_builtin.trainers.lora_loop import LoopSettings, run_loop
    from distil_builtin.transformers_runtime import (
        load_model,
        load_tokenizer,
        resolve_model,
        set_threads,
    )

    assert not set(HELD_OUT) & {t for t, _ in EXAMPLES}  # held out from training
    source = resolve_model("smollm2")
    base_gguf = Path(source.location) / source.gguf_file
    tokenizer = load_tokenizer(source)
    sequences = _sequences(tokenizer)
    positions = sum(len(s) for s in sequences)
    assert positions >= 200

    trainer = LocalLoRATrainer(base_model="smollm2", lora_rank=8, lora_dropout=0.0, seed=1,
                               device="cpu")
    set_threads(2)
    torch.manual_seed(1)  # the LoRA factors' initial draw
    model = trainer._lora_model(load_model(source, "cpu"))
    train = [encode(tokenizer, c["messages"], 128) for c in conversations()]
    settings = LoopSettings(epochs=1, batch_size=3, gradient_accumulation=1,
                            learning_rate=5e-3, seed=1, device="cpu",
                            pad_token_id=tokenizer.pad_token_id)
    run_loop(model, train, [], settings, progress=False)
    model.eval()
    model.save_pretrained(str(tmp_path / "adapter"), save_embedding_layers=False)
    adapter = write_gguf_adapter(tmp_path / "adapter", base_gguf, tmp_path / "adapter.gguf")
    merges = {"merged": write_merged_gguf(tmp_path / "adapter", base_gguf,
                                          tmp_path / "student.gguf"),
              "merged_f16": write_merged_gguf(tmp_path / "adapter", base_gguf,
                                              tmp_path / "f16.gguf", "f16")}
    with monkeypatch.context() as patch:  # the q/k rows left in transformers' order
        patch.setattr(gguf_adapter, "PERMUTED_QK_ARCHITECTURES", frozenset())
        merges["broken_qk"] = write_merged_gguf(tmp_path / "adapter", base_gguf,
                                                tmp_path / "broken_qk.gguf", "f16")
    with monkeypatch.context() as patch:  # scaled by alpha instead of alpha / r
        deltas = gguf_merge.lora_deltas
        patch.setattr(gguf_merge, "lora_deltas", lambda *args: {
            name: (a, b, scale * a.shape[0]) for name, (a, b, scale) in deltas(*args).items()})
        merges["broken_scale"] = write_merged_gguf(tmp_path / "adapter", base_gguf,
                                                   tmp_path / "broken_scale.gguf", "f16")

    with model.disable_adapter():
        base_hf_tokens = _torch_argmax(model, sequences)
    student_hf_tokens = _torch_argmax(model.merge_and_unload(), sequences)
    del model

    base_cpp = llama_cpp.Llama(model_path=str(base_gguf), n_ctx=512, logits_all=True,
                               verbose=False)
    base_cpp_tokens = _llama_argmax(base_cpp, sequences)
    base_cpp.close()
    student_cpp = llama_cpp.Llama(model_path=str(base_gguf), lora_path=str(adapter),
                                  n_ctx=512, logits_all=True, verbose=False)
    student_cpp_tokens = _llama_argmax(student_cpp, sequences)
    student_cpp.close()
    merged_tokens = {}
    for name, path in merges.items():
        llama = llama_cpp.Llama(model_path=str(path), n_ctx=512, logits_all=True, verbose=False)
        merged_tokens[name] = _llama_argmax(llama, sequences)
        llama.close()

    figures = {
        "positions": positions,
        "base": _agreement(base_cpp_tokens, base_hf_tokens),
        "student": _agreement(student_cpp_tokens, student_hf_tokens),
        "changed": 1 - _agreement(base_cpp_tokens, student_cpp_tokens),
        "changed_hf": 1 - _agreement(base_hf_tokens, student_hf_tokens),
        **{name: _agreement(tokens, student_hf_tokens)
           for name, tokens in merged_tokens.items()},
    }
    print("agreement:", json.dumps(figures))
    assert figures["changed"] >= MIN_CHANGED, figures  # the adapter really does something
    assert figures["student"] >= MIN_AGREEMENT, figures  # the 95%
    # and better than the two bases agree with each other: with the q/k reordering broken the
    # student fell to the bases' own agreement (95.5%), which 95% alone would let through
    assert figures["student"] > figures["base"], figures
    # the merged GGUF: the 95%, in the default Q8_0 and in F16; and better than the
    # merges broken on purpose
    assert figures["merged"] >= MIN_AGREEMENT, figures
    assert figures["merged_f16"] >= MIN_AGREEMENT, figures
    assert figures["merged_f16"] > figures["broken_qk"], figures
    assert figures["merged_f16"] > figures["broken_scale"], figures
