"""The merged GGUF, the Ollama Modelfile and `distil student export`, on the shipped SmolLM2.

The adapter is random (tests/students/gguf_student.py), not trained: the export reads a peft
folder and the base GGUF, and what it must get right (names, shapes, the scale, llama's
query/key row order, the metadata carried over) does not depend on how the factors were
found. tests/students/test_gguf_agreement.py (slow) checks a trained one against
transformers. Needs numpy, safetensors and gguf (the `train` extra), and llama-cpp-python.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

gguf = pytest.importorskip("gguf", reason='needs the train extra: pip install -e ".[train]"')
pytest.importorskip("safetensors", reason='needs the train extra: pip install -e ".[train]"')

from distil.errors import UsageError  # noqa: E402
from distil_builtin.models.local import shipped_model_path  # noqa: E402
from distil_builtin.trainers import gguf_adapter, gguf_merge  # noqa: E402
from distil_builtin.trainers.gguf_adapter import permute_rows, write_gguf_adapter  # noqa: E402
from distil_builtin.trainers.gguf_merge import write_merged_gguf  # noqa: E402
from distil_builtin.trainers.modelfile import (  # noqa: E402
    CHATML,
    LLAMA3,
    match_family,
    read_chat_format,
    write_modelfile,
)
from distil_builtin.trainers.student_export import write_gguf_files  # noqa: E402
from tests.core.clihelp import distil  # noqa: E402
from tests.students.gguf_student import SYSTEM, write_adapter, write_finished_run  # noqa: E402

BASE = shipped_model_path("smollm2")
TEXT = ("<|im_start|>system\nAnswer with one short sentence.<|im_end|>\n<|im_start|>user\n"
        "The city council voted on Monday to plant two thousand trees along the river path, "
        "and a small museum in the old mill will show tools used by farmers a century ago."
        "<|im_end|>\n<|im_start|>assistant\nThe council will plant trees by the river."
        "<|im_end|>\n")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """adapter.gguf, student.gguf (Q8_0) and the Modelfile of one random adapter."""
    student = tmp_path_factory.mktemp("student")
    adapter = write_adapter(student / "adapter")
    files = write_gguf_files(student, adapter, BASE, metadata={"distil.kept_epoch": 2},
                             system=SYSTEM)
    assert files["modelfile"] == str((student / "Modelfile").resolve())
    return student


@functools.lru_cache(maxsize=8)
def _reader(path: Path):
    """Each file read once: the reader parses the whole vocabulary in Python (seconds)."""
    return gguf.GGUFReader(str(path))


def _tensors(path: Path) -> dict:
    return {t.name: t for t in _reader(path).tensors}


def _weight(tensor):
    shape = [int(d) for d in reversed(tensor.shape)]
    return gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(shape)


def _within_q8_0(got, expected) -> bool:
    """Equal up to Q8_0's rounding: half a step (a 32-value block's max / 127) each, and a
    little more for the step's own rounding to float16."""
    import numpy as np

    rows, columns = expected.shape
    blocks = np.abs(expected).reshape(rows, columns // 32, 32)
    step = blocks.max(axis=-1, keepdims=True) / 127
    error = np.abs(got - expected).reshape(rows, columns // 32, 32)
    return bool(np.all(error <= 0.6 * step + 1e-7))


# -- the merge ----------------------------------------------------------------------------------
def test_each_adapted_weight_is_the_base_plus_the_scaled_update(exported):
    from safetensors.numpy import load_file

    base, merged = _tensors(BASE), _tensors(exported / "student.gguf")
    factors = load_file(str(exported / "adapter" / "adapter_model.safetensors"))
    prefix = "base_model.model.model.layers.1.self_attn"
    for module, name, heads in (("q_proj", "blk.1.attn_q.weight", 9),
                                ("k_proj", "blk.1.attn_k.weight", 3),
                                ("v_proj", "blk.1.attn_v.weight", None)):
        a = factors[f"{prefix}.{module}.lora_A.weight"]
        b = factors[f"{prefix}.{module}.lora_B.weight"]
        if heads:  # llama.cpp's row order for the query and key projections
            b = permute_rows(b, heads)
        expected = _weight(base[name]) + (8.0 / 4) * (b @ a)
        got = _weight(merged[name])
        assert merged[name].tensor_type == gguf.GGMLQuantizationType.Q8_0
        assert _within_q8_0(got, expected), name
        assert not _within_q8_0(_weight(base[name]), expected), name  # the update is there


def test_other_tensors_keep_their_values_and_vectors_their_bytes(exported):
    base, merged = _tensors(BASE), _tensors(exported / "student.gguf")
    assert list(merged) == list(base)  # every tensor, in the base's order
    for name in ("blk.5.ffn_up.weight", "blk.4.attn_q.weight", "token_embd.weight"):
        assert _within_q8_0(_weight(merged[name]), _weight(base[name])), name  # not adapted
    assert merged["blk.0.attn_norm.weight"].tensor_type == gguf.GGMLQuantizationType.F32
    assert bytes(merged["blk.0.attn_norm.weight"].data) == bytes(base["blk.0.attn_norm.weight"].data)
    types = {t.tensor_type for t in merged.values() if len(t.shape) == 2}
    assert types == {gguf.GGMLQuantizationType.Q8_0}


def test_the_metadata_of_the_base_comes_along(exported):
    base = _reader(BASE).fields
    merged = _reader(exported / "student.gguf").fields
    changed = {"general.file_type", "general.name"}
    for key, field in base.items():
        if key.startswith("GGUF.") or key in changed:
            continue
        assert merged[key].types == field.types, key
        assert merged[key].contents() == field.contents(), key
    assert merged["general.file_type"].contents() == int(gguf.LlamaFileType.MOSTLY_Q8_0)
    assert merged["general.name"].contents().endswith("(distil student)")
    assert merged["distil.kept_epoch"].contents() == 2


def test_f16_is_the_other_type(tmp_path):
    merged = write_merged_gguf(write_adapter(tmp_path / "adapter"), BASE,
                               tmp_path / "student.gguf", "f16")
    tensors = _tensors(merged)
    assert tensors["blk.0.attn_q.weight"].tensor_type == gguf.GGMLQuantizationType.F16
    assert tensors["token_embd.weight"].tensor_type == gguf.GGMLQuantizationType.F16
    fields = gguf.GGUFReader(str(merged)).fields
    assert fields["general.file_type"].contents() == int(gguf.LlamaFileType.MOSTLY_F16)
    with pytest.raises(UsageError, match="choose one of q8_0, f16"):
        write_merged_gguf(tmp_path / "adapter", BASE, tmp_path / "x.gguf", "q4_0")


def test_a_failed_merge_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "student.gguf"
    target.write_bytes(b"the previous student")
    adapter = write_adapter(tmp_path / "adapter")
    calls = []

    def fail_late(data, qtype):
        calls.append(1)
        if len(calls) > 20:
            raise RuntimeError("disk full")
        return original(data, qtype)

    original = gguf.quants.quantize
    monkeypatch.setattr(gguf.quants, "quantize", fail_late)
    with pytest.raises(RuntimeError, match="disk full"):
        write_merged_gguf(adapter, BASE, target)
    assert target.read_bytes() == b"the previous student"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter", "student.gguf"]


def test_llama_cpp_runs_the_merged_file_as_it_runs_base_plus_adapter(exported, tmp_path,
                                                                       monkeypatch):
    """The merged student decodes as llama.cpp's own base + adapter.gguf does (the adapter
    route is checked against transformers by the slow agreement test), and a merge with the
    query/key rows left in transformers' order does not."""
    llama_cpp = pytest.importorskip("llama_cpp")
    import numpy as np

    monkeypatch.setattr(gguf_adapter, "PERMUTED_QK_ARCHITECTURES", frozenset())
    broken = write_merged_gguf(exported / "adapter", BASE, tmp_path / "broken.gguf")
    monkeypatch.undo()

    def greedy(**options) -> list[int]:
        llama = llama_cpp.Llama(verbose=False, n_ctx=256, logits_all=True, **options)
        ids = llama.tokenize(TEXT.encode(), add_bos=False, special=True)
        llama.eval(ids)
        tokens = [int(t) for t in np.argmax(llama.scores[:len(ids)], axis=-1)]
        llama.close()
        return tokens

    def agreement(a: list[int], b: list[int]) -> float:
        return sum(x == y for x, y in zip(a, b)) / len(a)

    base = greedy(model_path=str(BASE))
    adapter = greedy(model_path=str(BASE), lora_path=str(exported / "adapter.gguf"))
    merged = greedy(model_path=str(exported / "student.gguf"))
    wrong = greedy(model_path=str(broken))
    assert 1 - agreement(base, adapter) >= 0.15  # the adapter changes the greedy tokens
    assert agreement(merged, adapter) >= 0.9
    assert agreement(wrong, adapter) < agreement(merged, adapter) - 0.08


# -- the Modelfile ------------------------------------------------------------------------------
def test_the_modelfile_is_chatml_with_the_files_stop_tokens(exported):
    text = (exported / "Modelfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines[0] == "FROM ./student.gguf"
    assert f'TEMPLATE """{CHATML.go_template}"""' in text
    assert f'SYSTEM """{SYSTEM}"""' in text  # the prompt it was trained with
    stops = [line.split(" ", 2)[2].strip('"') for line in lines if line.startswith("PARAMETER stop")]
    fields = _reader(exported / "student.gguf").fields
    vocabulary = fields["tokenizer.ggml.tokens"].contents()
    eos = vocabulary[fields["tokenizer.ggml.eos_token_id"].contents()]
    assert eos == "<|im_end|>" and eos in stops
    assert stops == ["<|im_start|>", "<|im_end|>"]
    assert all(stop in vocabulary for stop in stops)
    # the markers the Go template writes are the ones the file's own template writes
    template = fields["tokenizer.chat_template"].contents()
    assert all(marker in template and marker in CHATML.go_template for marker in stops)


def test_the_templates_own_default_system_prompt_is_kept_without_a_trained_one(exported,
                                                                               tmp_path):
    chat = read_chat_format(exported / "student.gguf")
    assert chat.family is CHATML
    assert chat.default_system == ("You are a helpful AI assistant named SmolLM, trained by "
                                   "Hugging Face")
    modelfile = write_modelfile(exported / "student.gguf", tmp_path / "Modelfile")
    assert f'SYSTEM """{chat.default_system}"""' in modelfile.read_text(encoding="utf-8")
    assert "FROM ../" in modelfile.read_text(encoding="utf-8")  # relative to the Modelfile


def test_template_families_are_recognised_by_rendering_and_others_refused():
    llama3 = ("{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + "
              "'<|end_header_id|>\\n\\n' + m['content'] | trim + '<|eot_id|>' }}{% endfor %}"
              "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>"
              "\\n\\n' }}{% endif %}")
    assert match_family(llama3, "<|begin_of_text|>", "<|eot_id|>", "x", True) == (LLAMA3, None)
    qwen = ("{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + "
            "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
            "{{ '<|im_start|>assistant\\n' }}{% endif %}")
    assert match_family(qwen, "", "<|im_end|>", "x") == (CHATML, None)
    gemma = ("{% for m in messages %}{{ '<start_of_turn>' + m.role + '\\n' + m.content + "
             "'<end_of_turn>\\n' }}{% endfor %}")
    with pytest.raises(UsageError, match=r"^m\.gguf: tokenizer\.chat_template is not a chat "
                                         r"format .*ChatML, Llama 3"):
        match_family(gemma, "<bos>", "<eos>", "m.gguf")


# -- distil student export ----------------------------------------------------------------------
def _export(run: Path, *args: str):
    return distil("student", "export", str(run), *args, timeout=300)


def test_student_export_makes_each_format_from_a_finished_run(tmp_path):
    run = write_finished_run(tmp_path / "run")
    student = run / "student"
    out = _export(run, "--format", "ollama")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"wrote: {student / 'Modelfile'}"
    assert (student / "student.gguf").is_file()  # made first: the Modelfile's FROM
    assert f'SYSTEM """{SYSTEM}"""' in (student / "Modelfile").read_text(encoding="utf-8")
    fields = gguf.GGUFReader(str(student / "student.gguf")).fields
    assert fields["distil.validation_loss"].contents() == 1.5  # from the train log

    out = _export(run, "--format", "gguf-adapter")
    assert out.returncode == 0, out.stderr
    assert gguf.GGUFReader(str(student / "adapter.gguf")).fields[
        "adapter.type"].contents() == "lora"
    out = _export(run, "--format", "gguf", "--type", "f16", "-o", str(tmp_path / "s16.gguf"))
    assert out.returncode == 0, out.stderr
    assert _tensors(tmp_path / "s16.gguf")["blk.0.attn_q.weight"].tensor_type.name == "F16"
    out = _export(run, "--format", "peft", "-o", str(tmp_path / "copy"))
    assert out.returncode == 0, out.stderr
    assert ((tmp_path / "copy" / "adapter_model.safetensors").read_bytes()
            == (student / "adapter" / "adapter_model.safetensors").read_bytes())
    assert not [p for p in tmp_path.rglob(".*.tmp")]


def test_student_export_refuses_bad_input_in_one_line(tmp_path):
    run = write_finished_run(tmp_path / "run")
    keep = tmp_path / "keep.gguf"
    keep.write_bytes(b"someone's file")
    api = tmp_path / "api"
    api.mkdir()
    (api / "manifest.json").write_text("{}")
    (api / "student.json").write_text("{}")
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "manifest.json").write_text("{}")
    cases = [
        ((tmp_path / "nowhere", "--format", "gguf"), "not a run directory (no manifest.json)"),
        ((bare, "--format", "gguf"), "student/plan.json: no local student in this run"),
        ((api, "--format", "gguf"), "student.json: this run's student is a provider's"),
        ((run, "--format", "onnx"), "--format 'onnx': choose one of gguf, gguf-adapter, peft"),
        ((run, "--format", "gguf", "--type", "q2"), "--type 'q2': choose one of q8_0, f16"),
        ((run, "--format", "gguf", "-o", str(keep)), "keep.gguf: exists already"),
    ]
    for args, message in cases:
        out = _export(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert message in out.stderr and out.stderr.count("\n") == 1, (args, out.stderr)
        assert "Traceback" not in out.stderr
    assert keep.read_bytes() == b"someone's file"


def test_student_export_without_the_adapter_or_with_a_folder_base_says_why(tmp_path):
    folder_base = tmp_path / "hf"
    folder_base.mkdir()
    (folder_base / "config.json").write_text("{}")
    run = write_finished_run(tmp_path / "run", base_model=str(folder_base))
    out = _export(run, "--format", "gguf")
    assert out.returncode == 2
    assert "plan.json: base_model is not a GGUF file" in out.stderr
    (run / "student" / "adapter" / "adapter_model.safetensors").unlink()
    out = _export(run, "--format", "peft")
    assert out.returncode == 2 and "the peft adapter is missing" in out.stderr
    log = json.loads((run / "student" / "train_log.json").read_text())
    (run / "student" / "train_log.json").write_text(json.dumps({**log, "finished": False}))
    out = _export(run, "--format", "gguf")
    assert out.returncode == 2 and "train_log.json: finished:" in out.stderr


def test_a_trainer_without_files_refuses_export(tmp_path):
    from distil.plugins import PluginHost

    trainer = PluginHost().get("trainer", "openai")()
    with pytest.raises(UsageError, match="leaves no student files to export"):
        trainer.export(tmp_path, "gguf")


# -- the student's label in reports -------------------------------------------------------------
def test_a_local_model_with_an_adapter_is_labelled_by_base_adapter_and_engine(tmp_path):
    from distil.plugins import PluginHost

    LocalModel = PluginHost().get("model", "local")  # as registered: its plugin name set
    adapter = tmp_path / "20261202-101500" / "student" / "adapter.gguf"
    student = LocalModel(model=str(BASE), lora_path=str(adapter))
    assert student.display_name == ("local/SmolLM2-135M-Instruct.Q4_1.gguf + LoRA "
                                    "20261202-101500/student/adapter.gguf (llama.cpp)")
    assert LocalModel(model="smollm2", lora_path="a.gguf").display_name == \
        "local/smollm2 + LoRA a.gguf (llama.cpp)"
    assert LocalModel(model="smollm2").display_name == "local/smollm2"  # no adapter: as before


def test_a_reused_student_gets_its_gguf_files_again_only_when_missing_or_retyped(tmp_path):
    from distil_builtin.trainers.student_export import refresh_gguf_files

    student = write_finished_run(tmp_path / "run") / "student"
    assert refresh_gguf_files(student, BASE, "q8_0")  # trained before student.gguf existed
    log = json.loads((student / "train_log.json").read_text())
    assert log["gguf"]["gguf_type"] == "q8_0" and (student / "Modelfile").is_file()
    written = (student / "student.gguf").stat().st_mtime_ns
    assert not refresh_gguf_files(student, BASE, "q8_0")  # nothing to do
    assert (student / "student.gguf").stat().st_mtime_ns == written
    assert refresh_gguf_files(student, BASE, "f16")  # gguf_type changed: not retrained
    assert _tensors(student / "student.gguf")["blk.0.attn_q.weight"].tensor_type.name == "F16"
