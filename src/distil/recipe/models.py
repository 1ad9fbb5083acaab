"""The typed shape of a recipe.

This layer checks structure only: which sections exist, their types, unknown keys. Plugin
names and plugin options are checked by `distil.recipe.resolve`, against the plugin registry.

A component is written `{plugin_name: {params}}`, or just `plugin_name` when the defaults do.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from distil.names import check_slug

ComponentSpec = str | dict[str, dict[str, Any] | None]
ModelSpec = str | dict[str, dict[str, Any] | None]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SplitSpec(Strict):
    """How many documents go to each split, in this order, after sampling."""

    train: int = Field(default=0, ge=0)
    validation: int = Field(default=0, ge=0)
    test: int = Field(default=0, ge=0)


class CorpusSpec(Strict):
    """`{plugin: {params}}` plus the sampling keys `sample`, `seed` and `split`."""

    plugin: ComponentSpec
    sample: int | None = Field(default=None, ge=1, description="Documents to draw at random.")
    seed: int = Field(default=0, description="Seed for sampling and the split shuffle.")
    split: SplitSpec | None = Field(default=None, description="Documents per split.")

    @model_validator(mode="before")
    @classmethod
    def _pull_plugin(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"plugin": data}
        if not isinstance(data, dict) or "plugin" in data:
            return data
        reserved = {"sample", "seed", "split"}
        plugin_keys = [k for k in data if k not in reserved]
        if len(plugin_keys) != 1:
            raise ValueError(
                "write exactly one corpus plugin, e.g. `jsonl: {path: data.jsonl}`, "
                f"beside sample/seed/split; found {plugin_keys or 'none'}"
            )
        key = plugin_keys[0]
        rest = {k: v for k, v in data.items() if k in reserved}
        return {"plugin": {key: data[key]}, **rest}


class PromptSpec(Strict):
    """Jinja2 templates (sandboxed) for the system and user turns."""

    system: str | None = Field(default=None, description="System message template.")
    user: str = Field(default="{{ doc.text }}", description="User message template.")
    vars: dict[str, Any] = Field(default_factory=dict, description="Variables for the templates.")


class VllmSpec(Strict):
    """The vLLM engine of `ray: {processor: vllm}` (Ray Data's vLLMEngineProcessorConfig)."""

    model_source: str | None = Field(default=None, description="Hugging Face id or path the "
                                     "engines load; default: the teacher model's `model`.")
    engine_kwargs: dict[str, Any] = Field(default_factory=dict, description="vLLM engine "
                                          "arguments (max_model_len, tensor_parallel_size...).")
    accelerator_type: str | None = Field(default=None, description="GPU type the engines "
                                         "are placed on, e.g. `L4`, `A10G`.")


class RaySpec(Strict):
    """How `execution: ray` runs: each round one Ray Data pass through an LLM processor."""

    address: str = Field(default="local", description="`local` (a Ray instance started for "
                         "the run), `auto` (the cluster this machine is part of), "
                         "`ray://HOST:10001` (Ray Client) or a head node's HOST:PORT.")
    processor: Literal["http", "vllm"] = Field(
        default="http", description="`http`: the teacher's OpenAI-compatible endpoint "
        "(HttpRequestProcessorConfig); `vllm`: vLLM engines on GPU workers.")
    batch_size: int = Field(default=16, ge=1, description="Rows per processor batch.")
    concurrency: int = Field(default=2, ge=1, description="Processor replicas (HTTP "
                             "senders or vLLM engines).")
    qps: int | None = Field(default=None, gt=0, description="Requests per second per "
                            "HTTP replica (none: no limit).")
    open_documents: int = Field(default=10_000, ge=1, description="Documents the driver "
                                "works on at once; the rest stream in as these finish.")
    vllm: VllmSpec = Field(default_factory=VllmSpec, description="The engine, for "
                           "processor: vllm.")


class TeacherSpec(Strict):
    model: ModelSpec = Field(description="`local/smollm2`, `openai/gpt-4.1-mini`, or a mapping.")
    strategy: ComponentSpec = Field(default="single", description="`single` or `{refine: {...}}`.")
    concurrency: int = Field(default=4, ge=1, description="Documents worked on at once.")
    execution: Literal["online", "batch", "ray"] = Field(
        default="online",
        description="`online`: one request at a time; `batch`: each refine round is one "
                    "OpenAI Batch API job, at half the price (needs the `openai` model); "
                    "`ray`: each refine round is one Ray Data pass (needs distil[ray]).")
    poll_interval: float = Field(default=30.0, gt=0, description="Seconds between status "
                                 "checks of a batch (execution: batch).")
    ray: RaySpec | None = Field(default=None, description="Options of execution: ray "
                                "(defaults when left out).")


class DatasetSpec(Strict):
    """How the export stage writes the accepted samples."""

    dedupe: bool = Field(default=True, description="Drop examples identical to an earlier one.")
    parquet: bool = Field(default=False, description="Also write train.parquet and "
                          "validation.parquet (needs pyarrow: pip install 'distil[parquet]').")


class EvaluateSpec(Strict):
    split: Literal["train", "validation", "test"] = "test"
    models: list[ModelSpec] | None = Field(
        default=None,
        description="`teacher`, `student`, or model specs; each answers single-shot. Default: "
                    "`[teacher]` when the recipe has a teacher, else none (give them with "
                    "`distil eval --model`).",
    )
    metrics: list[ComponentSpec] = Field(
        default_factory=lambda: ["length_stats", "pass_rate"]
    )
    limit: int | None = Field(default=None, ge=1)
    concurrency: int = Field(default=4, ge=1)
    execution: Literal["online", "ray"] = Field(
        default="online", description="`ray`: the answers are one Ray Data pass (needs "
                                      "distil[ray] and OpenAI-compatible models).")
    ray: RaySpec | None = Field(default=None, description="Options of execution: ray "
                                "(defaults when left out).")


class RecipeModel(Strict):
    name: str = Field(description="Names the run directory: runs/<name>/<timestamp>; a slug "
                                  "(letters, digits, `-`, `_`, `.`).")
    description: str | None = None
    plugins: list[str] = Field(
        default_factory=list, description="Plugin directories, relative to the recipe file."
    )
    corpus: CorpusSpec
    prompt: PromptSpec = Field(default_factory=PromptSpec)
    constraints: list[ComponentSpec] = Field(default_factory=list)
    teacher: TeacherSpec | None = None
    dataset: DatasetSpec = Field(default_factory=DatasetSpec)
    student: ComponentSpec | None = None
    evaluate: EvaluateSpec | None = None
    report: list[ComponentSpec] = Field(default_factory=lambda: ["markdown", "json"])

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)


class ConstraintsFileModel(BaseModel):
    """What `distil check` accepts: any YAML with a `constraints:` list (recipes included)."""

    model_config = ConfigDict(extra="ignore")

    plugins: list[str] = Field(default_factory=list)
    constraints: list[ComponentSpec] = Field(min_length=1)
