"""A LoRA student of the shipped SmolLM2 GGUF without training one: random peft factors.

The export code reads a peft adapter folder and the base GGUF; neither cares how the factors
were found, so tests of the merge, the Modelfile and `distil student export` write factors
of the right names and shapes with numpy (no torch) and a finished run directory around them
in milliseconds. The factors are large enough that the adapter changes the model's greedy
tokens, so a merge that drops or misplaces them shows.
"""

from __future__ import annotations

import json
from pathlib import Path

# SmolLM2-135M: 576 hidden, 9 query heads and 3 key/value heads of 64.
OUT_FEATURES = {"q_proj": 576, "k_proj": 192, "v_proj": 192}
IN_FEATURES = 576
SYSTEM = "Answer with one short sentence."


def write_adapter(folder: Path, layers: tuple[int, ...] = (0, 1, 2), rank: int = 4,
                  alpha: float = 8.0, std: float = 0.08, seed: int = 0,
                  modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj")) -> Path:
    """A peft LoRA adapter folder for SmolLM2 (`adapter_config.json`, safetensors)."""
    import numpy as np
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    tensors = {}
    for layer in layers:
        for module in modules:
            key = f"base_model.model.model.layers.{layer}.self_attn.{module}"
            tensors[f"{key}.lora_A.weight"] = rng.normal(
                0, std, (rank, IN_FEATURES)).astype("float32")
            tensors[f"{key}.lora_B.weight"] = rng.normal(
                0, std, (OUT_FEATURES[module], rank)).astype("float32")
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    config = {"peft_type": "LORA", "r": rank, "lora_alpha": alpha, "lora_dropout": 0.0,
              "target_modules": list(modules), "bias": "none", "task_type": "CAUSAL_LM"}
    (folder / "adapter_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def write_finished_run(run: Path, base_model: str = "smollm2") -> Path:
    """A run directory whose `local` student finished: manifest, train.jsonl, plan, log and
    the adapter, as the train stage leaves them (without adapter.gguf and student.gguf)."""
    student = run / "student"
    write_adapter(student / "adapter")
    (run / "manifest.json").write_text(json.dumps({"recipe": "test"}), encoding="utf-8")
    example = {"messages": [{"role": "system", "content": SYSTEM},
                            {"role": "user", "content": "The bridge reopened on Tuesday."},
                            {"role": "assistant", "content": "The bridge reopened."}]}
    (run / "train.jsonl").write_text(json.dumps(example) + "\n" + json.dumps(example) + "\n",
                                     encoding="utf-8")
    plan = {"trainer": "local", "base_model": base_model,
            "train_file": str((run / "train.jsonl").resolve()),
            "options": {"base_model": base_model, "device": "cpu"}}
    (student / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    log = {"finished": True, "base_model": base_model, "examples": 2, "epochs": 1,
           "kept_epoch": 1, "best_validation": {"epoch": 1, "loss": 1.5}, "fingerprint": "f"}
    (student / "train_log.json").write_text(json.dumps(log), encoding="utf-8")
    return run
