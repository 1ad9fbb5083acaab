"""`execution: ray`: the generate and evaluate stages as rounds of Ray Data passes.

The driver (the `distil run` process) drives the strategies exactly as the Batch API path does
(`distil.engine.rounds`): every open document's strategy parks its next request, and when all
of them wait, the parked requests are one round. A round here is one Ray Data pass:
`ray.data.from_items(rows)` through the LLM processor that `ray.data.llm.build_processor`
builds, either `HttpRequestProcessorConfig` (the teacher's OpenAI-compatible endpoint, with its
qps limit and retries) or `vLLMEngineProcessorConfig` (vLLM engines on GPU workers). The
processor's postprocess runs on the workers and judges each answer by the recipe's constraints
(`distil.engine.ray_worker.Judge`). The answers stream back to the driver, which commits each
one to the run store before it counts, and the strategies make the next round.

Ray's HTTP stage retries 408, 429, 502-504 and dropped connections itself (distil's client
session, `ray_worker.Session`, makes it wait what Retry-After asks); what it does not retry
is done by the rounds: a request whose answer is an error (a 500 or a 400 comes back as the
error's JSON), or that a failed pass or a lost worker left unanswered, is sent again in the
next round, up to the model's `retries`.

Ray is imported here, lazily, and only when a recipe asks for it: `import distil` does not
import it, and a recipe that asks for it on a machine without it stops with the install line.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from distil.engine.budget import BudgetExceeded
from distil.engine.context import RunContext
from distil.engine.progress import stage_progress
from distil.engine.ray_worker import Judge, Prepare, Session
from distil.engine.rounds import Parked, Rounds, strategy_jobs, streamed_work
from distil.errors import DistilError, ModelError, UsageError
from distil.kinds import ConstraintSet, Model
from distil.kinds.batch import supports_batch
from distil.recipe.models import RaySpec
from distil.types import Verdict

INSTALL = "pip install 'distil[ray]'"
OPENAI_URL = "https://api.openai.com/v1"
BATCHES_PER_TASK = 4  # Ray Data's default for an async batch stage (ray 2.60)


class RayPassFailed(DistilError):
    """A Ray Data pass raised; its requests go to the next round."""


def require_ray(where: str = "execution: ray") -> None:
    """Stop with the install line when Ray (with Ray Data) is not installed."""
    if importlib.util.find_spec("ray") is None:
        raise UsageError(f"{where} needs Ray, which is not installed: {INSTALL}")


def check_model(model: Model, where: str) -> None:
    """The Ray path sends what the `openai` model would send and prices what comes back."""
    if not supports_batch(model) or not hasattr(model, "build_choices"):
        raise UsageError(f"{where}: execution: ray needs the `openai` model (any "
                         f"OpenAI-compatible base_url); {model.display_name} is not one")


def connect(address: str) -> None:
    """Join the cluster at `address` (`auto`, `ray://...`, HOST:PORT) or start a local Ray."""
    require_ray()
    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the run
    if not ray.is_initialized():
        ray.init(address=None if address == "local" else address, log_to_driver=False,
                 include_dashboard=False, configure_logging=False)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # distil's own progress says how the stage goes
    context.print_on_execution_start = False
    # Ray Data's own log (every pass starting and ending) is in the session's log folder
    logging.getLogger("ray.data").setLevel(logging.ERROR)


def processor_config(spec: RaySpec, model: Any) -> Any:
    """Ray Data's processor config for `spec` and the teacher model (not yet built)."""
    require_ray()
    from ray.data.llm import HttpRequestProcessorConfig, vLLMEngineProcessorConfig

    # a fixed pool: every replica from the start (an int would autoscale from one)
    common = {"batch_size": spec.batch_size, "concurrency": (spec.concurrency,) * 2}
    if spec.processor == "http":
        key = model.read_api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        base = model.base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL  # as the SDK
        return HttpRequestProcessorConfig(
            url=f"{base.rstrip('/')}/chat/completions", headers=headers, qps=spec.qps,
            max_retries=model.retries, base_retry_wait_time_in_s=model.retry_base_delay,
            session_factory=functools.partial(Session, timeout=model.timeout), **common)
    vllm = spec.vllm
    return vLLMEngineProcessorConfig(
        model_source=vllm.model_source or model.model, engine_kwargs=dict(vllm.engine_kwargs),
        accelerator_type=vllm.accelerator_type, should_continue_on_error=True, **common)


def build(spec: RaySpec, model: Any, constraints: ConstraintSet | None,
          postprocess: Any) -> Any:
    """The processor: `Prepare` before, Ray's stages, `Judge` after."""
    from ray.data.llm import build_processor

    judged = constraints if constraints is not None and portable(constraints) else None
    return build_processor(processor_config(spec, model),
                           preprocess=Prepare(spec.processor),
                           postprocess=Judge(spec.processor, judged, postprocess))


def portable(constraints: ConstraintSet) -> bool:
    """Whether the workers can import every constraint's class (a plugin loaded from a
    plugins directory lives only on the driver; its answers are judged there)."""
    for c in constraints:
        name = type(c).__module__
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


async def stream(processor: Any, rows: list[dict[str, Any]], blocks: int
                 ) -> AsyncIterator[Mapping[str, Any]]:
    """The pass's output rows as they come back (Ray's iterator runs in a thread)."""
    import ray

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    stop = threading.Event()
    end = object()

    def put(item: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop has closed: the run is over
            pass

    def work() -> None:
        try:
            ds = processor(ray.data.from_items(rows, override_num_blocks=blocks))
            for row in ds.iter_rows():
                if stop.is_set():
                    return
                put(row)
            put(end)
        except BaseException as exc:  # reported on the loop; the rows left go to next round
            put(RayPassFailed(f"the Ray pass failed: {type(exc).__name__}: "
                              f"{' '.join(str(exc).split())[:300]}"))

    threading.Thread(target=work, name="distil-ray-pass", daemon=True).start()
    try:
        while True:
            item = await queue.get()
            if item is end:
                return
            if isinstance(item, RayPassFailed):
                raise item
            yield item
    finally:
        stop.set()


class RayRounds(Rounds):
    """Rounds sent as Ray Data passes, one pass per model in the round."""

    def __init__(self, ctx: RunContext, spec: RaySpec, constraints: ConstraintSet) -> None:
        super().__init__(ctx.pipeline)
        self.spec = spec
        self.constraints = constraints  # the recipe's: requests under them are judged on workers
        self._processors: dict[int, Any] = {}  # model -> (processor, the postprocess it judges with)
        connect(spec.address)

    async def send_round(self, wave: list[Parked]) -> None:
        groups: dict[int, list[Parked]] = {}
        for p in wave:
            groups.setdefault(id(p.req.model), []).append(p)
        for group in groups.values():
            await self._pass(group)

    async def _pass(self, wave: list[Parked]) -> None:
        model: Any = wave[0].req.model
        go: list[Parked] = []
        stop: BudgetExceeded | None = None
        for p in wave:  # --max-cost: what fits is sent, then the run stops
            try:
                p.reserved = self.pipeline.reserve(p.req)
            except BudgetExceeded as exc:
                stop = exc
                break
            go.append(p)
        rows = [self._row(i, p) for i, p in enumerate(go)]
        seen: set[int] = set()
        reason = "no answer came back from the Ray pass"
        if rows:
            processor, _ = self._processor(model, go[0])
            # a block of four batches: a replica works on a task's batches at once (Ray Data
            # runs four of an async stage's batches together), one task at a time
            blocks = max(1, -(-len(rows) // (self.spec.batch_size * BATCHES_PER_TASK)))
            try:
                async for out in stream(processor, rows, blocks):
                    i = int(out["i"])
                    if i not in seen:  # a block Ray ran twice (a lost worker) counts once
                        seen.add(i)
                        self._settle(model, go[i], out)
            except RayPassFailed as exc:
                reason = str(exc)
        for i, p in enumerate(go):
            if i not in seen:
                self.failed(p, f"{model.display_name}: {reason}", retryable=True)
        _say(f"ray: round {self.rounds}: {len(seen)} of {len(go)} requests answered")
        if stop is not None:
            raise stop

    def _processor(self, model: Any, first: Parked) -> tuple[Any, Any]:
        """The model's processor, built at its first pass; its workers judge with the
        strategy's postprocess that the stage's requests carry (the same for all of them)."""
        if id(model) not in self._processors:
            postprocess = postprocess_of(first.req)
            self._processors[id(model)] = (
                build(self.spec, model, self.constraints, postprocess), postprocess)
        return self._processors[id(model)]

    def _row(self, i: int, p: Parked) -> dict[str, Any]:
        req = p.req
        body = req.model.batch_line(p.custom_id, req.messages, req.params)["body"]
        judge = (req.constraints is self.constraints
                 and postprocess_of(req) == self._processor(req.model, p)[1])
        return {"i": i, "body": json.dumps(body, ensure_ascii=False),
                "doc": json.dumps(req.doc.to_dict(), ensure_ascii=False), "judge": judge}

    def _settle(self, model: Any, p: Parked, out: Mapping[str, Any]) -> None:
        answer = json.loads(out["answer"])
        if answer.get("error"):
            self.failed(p, f"{model.display_name}: {answer['error']}", retryable=True)
            return
        try:
            completion = model.build_choices(
                [(answer.get("text"), answer.get("finish_reason"))],
                prompt_tokens=answer.get("prompt_tokens"),
                completion_tokens=answer.get("completion_tokens"),
                response_model=answer.get("model"), latency=float(out.get("latency") or 0.0),
                raw=None)[0]
        except ModelError as exc:  # the content filter withheld everything
            self.failed(p, str(exc), retryable=False)
            return
        verdicts = ([Verdict.from_dict(v) for v in json.loads(out["verdicts"])]
                    if out.get("verdicts") else None)
        self.answered(p, completion, verdicts)


def postprocess_of(req: Any) -> Any:
    """The strategy's postprocess a request is judged with (None: the text as written)."""
    return req.postprocess


async def generate_with_ray(ctx: RunContext) -> None:
    """The generate stage, each round one Ray Data pass over the open documents, which
    stream from the corpus (at most `open_documents` of them open at once)."""
    spec = ctx.recipe.spec.teacher.ray or RaySpec()  # type: ignore[union-attr]
    strategy = ctx.recipe.strategy
    assert strategy is not None and ctx.recipe.teacher_model is not None
    check_model(ctx.recipe.teacher_model, "teacher.model")
    rounds = RayRounds(ctx, spec, ctx.recipe.constraints)
    todo, total = streamed_work(ctx)
    with stage_progress("generate (ray)", total, ctx.options.progress,
                        counts=("accepted", "failed")) as bar:
        await rounds.run(strategy_jobs(ctx, rounds, todo, bar), window=spec.open_documents)


def evaluation_rounds(ctx: RunContext, models: Iterable[tuple[str, Model]]) -> RayRounds:
    """The rounds of an evaluate stage with `execution: ray`."""
    spec = ctx.recipe.spec.evaluate.ray or RaySpec()  # type: ignore[union-attr]
    for label, model in models:
        check_model(model, f"evaluate.models ({label})")
    return RayRounds(ctx, spec, ctx.recipe.constraints)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
