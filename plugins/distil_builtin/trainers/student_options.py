"""The `local` trainer's options for precision, the epoch kept and the export, and its `export`.

A mixin of `LocalLoRATrainer` (as `GRPOOptions` is), so these options and `distil student
export` live beside the code they drive (`student_export.py`) rather than in the trainer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from distil.errors import UsageError
from distil_builtin.trainers.gguf_merge import DEFAULT_GGUF_TYPE, GGUF_TYPES, GgufType
from distil_builtin.trainers.student_export import FORMATS, export_run, trained_student
from distil_builtin.transformers_runtime import DType, resolve_model

# Options that change only how the trained student is exported or asked, not what it learns:
# changing them does not train it again.
NOT_TRAINING = frozenset({"serve_params", "gguf_type"})


class StudentOptions(BaseModel):
    dtype: DType = Field(
        default="auto", description="Weights and arithmetic: `auto` is bfloat16 on a CUDA GPU "
                                    "that supports it, float32 elsewhere (every CPU).")
    keep_epoch: Literal["best", "last"] = Field(
        default="best", description="`best`: end with the weights of the epoch whose "
                                    "validation loss was lowest (the last epoch when there is "
                                    "no validation set); `last`: the last epoch's.")
    gguf_type: GgufType = Field(
        default=DEFAULT_GGUF_TYPE, description="GGUF bases: the type of the merged "
                                               "`student.gguf` (`q8_0` or `f16`).")

    def export(self, run_dir: Path, fmt: str, output: Path | None = None,
               options: dict[str, Any] | None = None) -> Path:
        """(Re)make format `fmt` of the student trained in `run_dir` (`distil student export`).

        `options`: `gguf_type` (default: the one it was trained with)."""
        if fmt not in FORMATS:
            raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
        plan, _ = trained_student(run_dir)
        gguf_type = (options or {}).get("gguf_type") or plan.get("options", {}).get(
            "gguf_type", DEFAULT_GGUF_TYPE)
        if gguf_type not in GGUF_TYPES:
            raise UsageError(f"--type {gguf_type!r}: choose one of {', '.join(GGUF_TYPES)}")
        try:
            source = resolve_model(str(plan["base_model"]))
        except (KeyError, UsageError) as exc:
            raise UsageError(f"{run_dir / 'student' / 'plan.json'}: base_model: {exc}") from None
        base = Path(source.location) / source.gguf_file if source.gguf_file else None
        return export_run(run_dir, fmt, base, output, gguf_type)
