"""The files a trained LoRA student leaves distil in, and `distil student export`.

`write_gguf_files` is what a trainer calls once its peft adapter is saved (the `local` trainer
after SFT; any other method that ends in a peft adapter over a GGUF base can call it the same
way). Beside the adapter it writes, in the student folder:

- `adapter.gguf`  the adapter as a GGUF LoRA adapter (`gguf_adapter.py`);
- `student.gguf`  the base GGUF with the adapter merged in, Q8_0 or F16 (`gguf_merge.py`);
- `Modelfile`     `FROM ./student.gguf` with the chat template and stops (`modelfile.py`).

A chat template no Modelfile can be written for does not fail the training: the Modelfile is
left out and the reason returned (the `ollama` export then says it in one line).

`export_run` (re)makes one format from a finished run, for `Trainer.export`. Every file is
written under a temporary name and renamed into place; the default destinations are the
student folder's own files, which are all rebuilt from the peft adapter, and the adapter
itself, which nothing can rebuild, is never written over.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from distil.errors import UsageError
from distil_builtin.trainers.gguf_adapter import ADAPTER_FILE, write_gguf_adapter
from distil_builtin.trainers.gguf_merge import DEFAULT_GGUF_TYPE, MERGED_FILE, write_merged_gguf
from distil_builtin.trainers.modelfile import MODELFILE, write_modelfile

FORMATS = ("gguf", "gguf-adapter", "peft", "ollama")
ADAPTER_DIR = "adapter"
PLAN_FILE = "plan.json"
LOG_FILE = "train_log.json"


def write_gguf_files(student: Path, adapter: Path, base_gguf: Path,
                     gguf_type: str = DEFAULT_GGUF_TYPE, metadata: dict[str, Any] | None = None,
                     system: str | None = None) -> dict[str, Any]:
    """adapter.gguf, student.gguf and the Modelfile for `adapter` over `base_gguf`.

    Returns {"adapter_gguf", "student_gguf", "modelfile"} (paths as text), the Modelfile's
    entry being {"skipped": reason} when the base's chat template has no Modelfile form.
    """
    adapter_gguf = _atomic(student / ADAPTER_FILE,
                           lambda tmp: write_gguf_adapter(adapter, base_gguf, tmp))
    merged = write_merged_gguf(adapter, base_gguf, student / MERGED_FILE, gguf_type,  # atomic
                               metadata)
    out: dict[str, Any] = {"adapter_gguf": str(adapter_gguf.resolve()),
                           "student_gguf": str(merged.resolve()), "gguf_type": gguf_type}
    try:
        out["modelfile"] = str(write_modelfile(merged, student / MODELFILE, system).resolve())
    except UsageError as exc:
        out["modelfile"] = {"skipped": str(exc)}
    return out


def refresh_gguf_files(student: Path, base_gguf: Path, gguf_type: str = DEFAULT_GGUF_TYPE,
                       system: str | None = None) -> bool:
    """For a student trained earlier and reused: write its GGUF files again when
    `student.gguf` is missing or of another type than `gguf_type` (an option that does not
    train the student again), and record them in its train log. True when it wrote."""
    log = read_json(student / LOG_FILE, missing_ok=True)
    recorded = log.get("gguf") if isinstance(log.get("gguf"), dict) else {}
    if (student / MERGED_FILE).is_file() and recorded.get("gguf_type") == gguf_type:
        return False
    log["gguf"] = write_gguf_files(student, student / ADAPTER_DIR, base_gguf, gguf_type,
                                   gguf_metadata(log), system)
    (student / LOG_FILE).write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    return True


def common_system_prompt(train_file: Path) -> str | None:
    """The system prompt every training example shares, or None: the Modelfile's SYSTEM, so
    that `ollama run` asks the student as it was trained."""
    seen: set[str | None] = set()
    try:
        lines = Path(train_file).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        if not line.strip():
            continue
        messages = json.loads(line).get("messages", [])
        system = next((m.get("content") for m in messages if m.get("role") == "system"), None)
        seen.add(system)
        if len(seen) > 1:
            return None
    return next(iter(seen)) if len(seen) == 1 else None


def _atomic(target: Path, write: Any) -> Path:
    """Run `write(tmp)` and rename the result to `target`; nothing half-written is left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
    return target


# -- `distil student export` ----------------------------------------------------------------------
def trained_student(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plan, train log) of the run's finished local student; a one-line UsageError if none."""
    student = run_dir / "student"
    if not (run_dir / "manifest.json").is_file():
        raise UsageError(f"{run_dir}: not a run directory (no manifest.json)")
    if not (student / LOG_FILE).is_file():
        api = (run_dir / "student.json").is_file()
        raise UsageError(f"{student / LOG_FILE}: no local student in this run ("
                         + ("its student is a provider's fine-tune, see student.json"
                            if api else "the `local` trainer writes it") + ")")
    log = read_json(student / LOG_FILE)
    if not log.get("finished"):
        raise UsageError(f"{student / LOG_FILE}: finished: the student's training did not "
                         "finish; run the train stage again (`distil run --resume`)")
    return read_json(student / PLAN_FILE), log


def export_run(run_dir: Path, fmt: str, base_gguf: Path | None, output: Path | None,
               gguf_type: str = DEFAULT_GGUF_TYPE) -> Path:
    """(Re)make format `fmt` of the run's student; returns the path written."""
    student = run_dir / "student"
    adapter = student / ADAPTER_DIR
    if not (adapter / "adapter_model.safetensors").is_file():
        raise UsageError(f"{adapter}: the peft adapter is missing; nothing can be exported "
                         "without it (train the student again)")
    if fmt == "peft":
        if output is None or output.resolve() == adapter.resolve():
            return adapter
        _refuse_existing(output)
        return _atomic(output, lambda tmp: shutil.copytree(adapter, tmp))
    if base_gguf is None:
        raise UsageError(f"{student / PLAN_FILE}: base_model is not a GGUF file, and --format "
                         f"{fmt} needs a GGUF base (the merged Hugging Face folder is "
                         f"{student / 'merged'}; --format peft exports the adapter)")
    defaults = {"gguf": student / MERGED_FILE, "gguf-adapter": student / ADAPTER_FILE,
                "ollama": student / MODELFILE}
    target = output or defaults[fmt]
    if output is not None and output.resolve() != defaults[fmt].resolve():
        _refuse_existing(output)
    if fmt == "gguf-adapter":
        return _atomic(target, lambda tmp: write_gguf_adapter(adapter, base_gguf, tmp))
    if fmt == "gguf":
        return write_merged_gguf(adapter, base_gguf, target, gguf_type,  # type: ignore[arg-type]
                                 _student_metadata(run_dir))
    merged = student / MERGED_FILE
    if not merged.is_file():
        write_merged_gguf(adapter, base_gguf, merged, gguf_type,  # type: ignore[arg-type]
                          _student_metadata(run_dir))
    return write_modelfile(merged, target, common_system_prompt(run_dir / "train.jsonl"))


def _student_metadata(run_dir: Path) -> dict[str, Any]:
    return gguf_metadata(read_json(run_dir / "student" / LOG_FILE))


def gguf_metadata(log: dict[str, Any]) -> dict[str, Any]:
    """What the merged GGUF records about its training (keys under `distil.`)."""
    best = log.get("best_validation") or {}
    return {"distil.base_model": log.get("base_model"),
            "distil.method": log.get("method", "sft"),
            "distil.examples": log.get("examples"),
            "distil.epochs": log.get("epochs"),
            "distil.kept_epoch": log.get("kept_epoch"),
            "distil.validation_loss": best.get("loss"),
            "distil.fingerprint": log.get("fingerprint")}


def read_json(path: Path, missing_ok: bool = False) -> dict[str, Any]:
    """A JSON object from one of the student's files; a one-line UsageError naming it."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise UsageError(f"{path}: missing") from None
    except (OSError, ValueError) as exc:
        if missing_ok:
            return {}
        raise UsageError(f"{path}: unreadable ({exc})") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path}: not a JSON object")
    return value


def _refuse_existing(output: Path) -> None:
    if output.exists() or output.is_symlink():
        raise UsageError(f"{output}: exists already; distil writes a new file here but does "
                         "not replace one it did not make (remove it or choose another -o)")
