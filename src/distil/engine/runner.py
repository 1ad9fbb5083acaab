"""Running a recipe: generate -> export -> train -> evaluate -> report.

Each stage reads what the previous one persisted in the run directory, so any stage can be
run alone (`distil run --stage evaluate`) or resumed after a crash (`distil run --resume`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from distil import __version__
from distil.confirm import assume_yes
from distil.engine.attempts import DocumentAttempts
from distil.engine.budget import Budget
from distil.engine.cache import ResponseCache, cache_key
from distil.engine.limits import RateLimiter, estimate_tokens
from distil.engine.metric_context import metric_context, prepare_metrics
from distil.engine.outcome import record_outcome
from distil.engine.progress import stage_progress
from distil.engine.prompting import render_prompt
from distil.engine.retry import RetryPolicy, with_retries
from distil.engine.rundir import STORE, init_run_dir, write_manifest
from distil.engine.splits import sample_and_split
from distil.engine.store import RunStore, request_key
from distil.errors import DistilError, ModelError, UsageError
from distil.kinds import ConstraintSet, Model
from distil.kinds.model import DOC_ID_PARAM
from distil.recipe import LoadedRecipe
from distil.recipe.resolve import build_document_constraints, build_model
from distil.recipe.yaml_source import YamlSource
from distil.types import Attempt, Completion, Document, EvalRecord, Message, Sample, Usage

STAGES = ("generate", "export", "train", "evaluate", "report")
GENERATE, EVALUATE = "generate", "evaluate"


async def gather_all(coros) -> None:
    """Run all; when some fail, let the others finish (their requests are paid for and get
    committed) and then raise the first failure."""
    results = await asyncio.gather(*coros, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r


@dataclass
class RunOptions:
    limit: int | None = None          # at most this many documents per split
    progress: bool | None = None      # None: only when stderr is a terminal
    use_cache: bool = True            # the response cache shared across runs
    cache_dir: Path | None = None     # default: distil.engine.cache.default_cache_dir()
    max_cost: float | None = None     # USD budget for this run (earlier spending included)
    yes: bool = False                 # confirm paid work (e.g. a fine-tuning job) without asking


def _seeded(model: Model, params: Mapping[str, Any] | None, restart: int) -> dict[str, Any]:
    """The call's params; a fresh conversation (restart > 0) gets its own seed, seed + restart,
    so it does not repeat the first."""
    call_params: dict[str, Any] = dict(params or {})
    seed = model.params.get("seed")
    if restart and isinstance(seed, int) and "seed" not in call_params:
        call_params["seed"] = seed + restart
    return call_params


def _total_cost(completions: Sequence[Completion]) -> float | None:
    costs = [c.cost for c in completions if c.cost is not None]
    return sum(costs) if costs else None


class Runner:
    """Executes a LoadedRecipe's stages against one run directory."""

    def __init__(self, recipe: LoadedRecipe, run_dir: Path, options: RunOptions | None = None):
        self.recipe = recipe
        self.run_dir = run_dir
        self.options = options or RunOptions()
        self.manifest = init_run_dir(run_dir, recipe)
        # The --limit a run was started with (or last given), for --resume to carry on with;
        # re-rendering a report or running a stage without --limit leaves it as it was.
        if "limit" not in self.manifest or self.options.limit not in (None,
                                                                      self.manifest["limit"]):
            self.manifest["limit"] = self.options.limit
            write_manifest(run_dir, self.manifest)
        self.store = RunStore(run_dir / STORE)
        self._splits: dict[str, list[Document]] | None = None
        self._doc_constraints: dict[str, ConstraintSet] = {}
        self._model_locks: dict[int, asyncio.Semaphore] = {}
        self._rng = random.Random(recipe.spec.corpus.seed)
        self.last_results: dict[str, Any] = {}
        self._limiters: dict[int, RateLimiter] = {}
        self.cache = ResponseCache(self.options.cache_dir) if self.options.use_cache else None
        self.cache_hits = 0
        self.budget = Budget(self.options.max_cost, spent=self.store.totals()["cost"])

    # -- shared helpers -------------------------------------------------------------------------
    def splits(self) -> dict[str, list[Document]]:
        if self._splits is None:
            spec = self.recipe.spec.corpus
            split = spec.split.model_dump() if spec.split else None
            try:
                self._splits = sample_and_split(
                    self.recipe.corpus.iter_documents(), sample=spec.sample, seed=spec.seed,
                    split=split,
                )
            except UsageError as exc:
                raise UsageError(f"{self.recipe.path}: {exc}") from None
            if self.options.limit:
                self._splits = {k: v[: self.options.limit] for k, v in self._splits.items()}
        return self._splits

    def constraints_for(self, doc: Document) -> ConstraintSet:
        """The recipe's constraints plus the document's own."""
        if not doc.constraints:
            return self.recipe.constraints
        if doc.id not in self._doc_constraints:
            own = build_document_constraints(self.recipe.host, doc.constraints,
                                             f"{self.recipe.path}: document {doc.id!r}")
            self._doc_constraints[doc.id] = ConstraintSet(
                [*self.recipe.constraints, *own])
        return self._doc_constraints[doc.id]

    def _model_slot(self, model: Model) -> asyncio.Semaphore | None:
        if model.max_concurrency is None:
            return None
        return self._model_locks.setdefault(id(model), asyncio.Semaphore(model.max_concurrency))

    def _limiter(self, model: Model) -> RateLimiter | None:
        if model.rpm is None and model.tpm is None:
            return None
        return self._limiters.setdefault(id(model), RateLimiter(model.rpm, model.tpm))

    async def request(self, stage: str, label: str, model: Model, doc: Document,
                      messages: Sequence[Message], restart: int, round_: int,
                      params: Mapping[str, Any] | None, constraints: ConstraintSet
                      ) -> tuple[int, Attempt]:
        """One model request, judged and committed to the store before it is returned.

        In order: the run store (a request this run already made is not made again), the
        budget, the response cache, then the model itself through rate limits and retries.
        """
        call_params = _seeded(model, params, restart)
        identity = {**model.cache_identity(), "params": model.params}
        key = request_key(identity, messages, call_params)
        found = self.store.find_attempt(stage, label, doc.id, restart, round_, key)
        if found is not None:
            return found
        use_cache = self.cache is not None and model.cacheable
        ckey = cache_key(identity, messages, call_params, restart, round_) if use_cache else ""
        return await self._answer(stage, label, model, doc, messages, restart, round_,
                                  call_params, constraints, key, ckey)

    async def _answer(self, stage: str, label: str, model: Model, doc: Document,
                      messages: Sequence[Message], restart: int, round_: int,
                      params: dict[str, Any], constraints: ConstraintSet, key: str, ckey: str
                      ) -> tuple[int, Attempt]:
        """The cache (when `ckey`), else one paid request; judged and committed."""
        completion = self._cached(ckey)
        error: str | None = None
        if completion is None:
            fresh, error = await self._paid(model, messages, params, doc)
            completion = fresh[0] if fresh else None
            if completion is not None and ckey:
                self.cache.put(ckey, completion)
        verdicts = constraints.check(completion.text, doc) if completion is not None else ()
        attempt = Attempt(doc.id, restart, round_, tuple(messages), completion, verdicts, error)
        attempt_id = self.store.add_attempt(stage, label, key, attempt)  # committed first
        return attempt_id, attempt

    def _cached(self, ckey: str) -> Completion | None:
        """The cached answer for `ckey` ('' when not caching), costing this run nothing."""
        completion = self.cache.get(ckey) if ckey and self.cache is not None else None
        if completion is None:
            return None
        self.cache_hits += 1
        return replace(completion, cost=0.0 if completion.cost is not None else None)

    async def _paid(self, model: Model, messages: Sequence[Message], params: dict[str, Any],
                    doc: Document, n: int | None = None) -> tuple[list[Completion], str | None]:
        """A request within the budget: its completions (n of them at most, or one), or no
        completions and the failure's reason."""
        asked = params if n is None else {**params, "n": n}
        reserved = self.budget.reserve(model, messages, asked)
        fresh: list[Completion] = []
        try:
            fresh = await self._complete(model, messages, params, doc, n=n)
        except ModelError as exc:
            return [], f"{type(exc).__name__}: {exc}"
        finally:
            self.budget.settle(reserved, _total_cost(fresh))
        return fresh, None

    async def request_many(self, stage: str, label: str, model: Model, doc: Document,
                           messages: Sequence[Message], n: int, params: Mapping[str, Any] | None,
                           constraints: ConstraintSet) -> list[tuple[int, Attempt]]:
        """`n` candidates (restarts 0..n-1, round 0) from one request with the API's `n`.

        Same order as `request`, per candidate: the run store, the cache, then the model,
        asked once for all candidates still missing. The candidates one response brought are
        committed together. A server that returned fewer choices than asked (some ignore `n`)
        is asked for the rest one by one, each with its own seed.
        """
        call_params: dict[str, Any] = dict(params or {})
        identity = {**model.cache_identity(), "params": model.params}
        keys = [request_key(identity, messages, {**call_params, "n": n, "_choice": i})
                for i in range(n)]
        done: dict[int, tuple[int, Attempt]] = {}
        for i in range(n):
            found = self.store.find_attempt(stage, label, doc.id, i, 0, keys[i])
            if found is not None:
                done[i] = found
        use_cache = self.cache is not None and model.cacheable
        ckeys = [cache_key(identity, messages, {**call_params, "n": n}, i, 0) if use_cache
                 else "" for i in range(n)]
        got: dict[int, Completion] = {}
        for i in range(n):
            cached = self._cached(ckeys[i]) if i not in done else None
            if cached is not None:
                got[i] = cached
        missing = [i for i in range(n) if i not in done and i not in got]
        error: str | None = None
        if missing:
            fresh, error = await self._paid(model, messages, call_params, doc, n=len(missing))
            for i, completion in zip(missing, fresh):
                got[i] = completion
                if use_cache:
                    self.cache.put(ckeys[i], completion)
        failed = missing if error else []
        attempts = [Attempt(doc.id, i, 0, tuple(messages), got.get(i),
                            constraints.check(got[i].text, doc) if i in got else (),
                            error if i in failed else None)
                    for i in sorted([*got, *failed])]
        ids = self.store.add_attempts(stage, label, [(keys[a.restart], a) for a in attempts])
        done.update({a.restart: (attempt_id, a) for attempt_id, a in zip(ids, attempts)})
        short = [i for i in missing if i not in got and not error]
        rest = await asyncio.gather(*(  # asked one by one, each with its own seed
            self._answer(stage, label, model, doc, messages, i, 0, _seeded(model, call_params, i),
                         constraints, keys[i], ckeys[i]) for i in short))
        done.update(zip(short, rest))
        return [done[i] for i in range(n)]

    async def _complete(self, model: Model, messages: Sequence[Message],
                        params: dict[str, Any], doc: Document, n: int | None = None
                        ) -> list[Completion]:
        """One request through the model's slot, rate limiter and retries: its one Completion,
        or with `n` up to n of them (`Model.complete_n`)."""
        if model.wants_doc_id:  # e.g. replay, which looks answers up by document id
            params = {**params, DOC_ID_PARAM: doc.id}
        slot = self._model_slot(model)
        limiter = self._limiter(model)
        policy = RetryPolicy(attempts=model.retries + 1, base_delay=model.retry_base_delay)

        async def send() -> list[Completion]:
            entry = None
            if limiter is not None:
                max_tokens = params.get("max_tokens", model.params.get("max_tokens"))
                entry = await limiter.acquire(estimate_tokens(messages, max_tokens, n or 1))
            started = time.perf_counter()
            if n is None:
                result = [await model.complete(messages, params)]
            else:
                result = await model.complete_n(messages, n, params)
            if entry is not None:
                limiter.settle(entry, sum(c.usage.total_tokens for c in result))
            latency = time.perf_counter() - started
            result = [c if c.latency else replace(c, latency=latency) for c in result]
            return result[: n or 1]

        async def call() -> list[Completion]:
            # The slot first, then the rate limiter: the limiter's clock must read when the
            # request is sent, not when it started queueing for a slot (else requests admitted
            # over a minute could all be sent in the next one).
            if slot is None:
                return await send()
            async with slot:
                return await send()

        return await with_retries(call, policy, self._rng)

    def _mark(self, stage: str, status: str) -> None:
        self.manifest["stages"][stage] = {
            "status": status, "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        }
        write_manifest(self.run_dir, self.manifest)

    # -- stages ---------------------------------------------------------------------------------
    async def generate(self) -> dict[str, Any]:
        """Teacher + strategy over the train and validation documents."""
        recipe = self.recipe
        if recipe.teacher_model is None or recipe.strategy is None:
            return {}
        splits = self.splits()
        work = [(name, d) for name in ("train", "validation") for d in splits[name]]
        if recipe.spec.corpus.split is None:
            work = [("train", d) for d in splits["train"]]
        done = self.store.outcomes()
        todo = [(s, d) for s, d in work if d.id not in done]
        if recipe.spec.teacher.execution == "batch":  # one Batch API job per refine round
            from distil.engine.batch import generate_in_batches

            await generate_in_batches(self, todo)
            self._mark("generate", "done")
            return self.generation_summary()
        sem = asyncio.Semaphore(recipe.spec.teacher.concurrency)
        model, strategy = recipe.teacher_model, recipe.strategy

        with stage_progress("generate", len(todo), self.options.progress,
                            counts=("accepted", "failed")) as bar:
            async def one(split: str, doc: Document) -> None:
                async with sem:
                    constraints = self.constraints_for(doc)
                    prompt = render_prompt(recipe.spec.prompt, doc)

                    def one(messages, restart, round_, params):
                        return self.request(GENERATE, "teacher", model, doc, messages, restart,
                                            round_, params, constraints)

                    def many(messages, n, params):
                        return self.request_many(GENERATE, "teacher", model, doc, messages, n,
                                                 params, constraints)

                    attempt = DocumentAttempts(one, many if model.supports_n() else None)
                    attempts = await strategy.solve(doc, prompt, attempt, model, constraints)
                    status, cost = record_outcome(self.store, strategy, doc.id, split, attempts,
                                                  attempt.ids)
                    bar.advance(cost=cost, **{status: 1})

            await gather_all(one(s, d) for s, d in todo)
        self._mark("generate", "done")
        return self.generation_summary()

    def generation_summary(self) -> dict[str, Any]:
        outcomes = self.store.outcomes()
        if not outcomes:
            return {}
        figures = self.store.attempt_figures(GENERATE)  # counted in SQL, nothing decoded
        statuses = [o["status"] for o in outcomes.values()]
        n = len(outcomes)
        first = figures["first_shot"]
        return {
            "documents": n,
            "accepted": statuses.count("accepted"),
            "kept_closest": statuses.count("closest"),
            "rejected": statuses.count("rejected"),
            "failed": statuses.count("failed"),
            "attempts": figures["attempts"],
            "first_shot_pass_rate": figures["first_shot_passed"] / first if first else None,
            "pass_rate": statuses.count("accepted") / n,
            "mean_attempts_per_document": figures["attempts"] / n,
            "cost": figures["cost"],
        }

    def export(self) -> dict[str, Any]:
        """Accepted samples as OpenAI chat fine-tuning JSONL: train.jsonl, validation.jsonl."""
        outcomes = self.store.outcomes()
        if not outcomes:
            return {}
        splits = self.splits()
        counts: dict[str, int] = {}
        options = self.recipe.spec.dataset
        for split in ("train", "validation"):
            seen: set[str] = set()
            lines: list[str] = []
            kept: list[Sample] = []
            for doc in splits[split]:
                o = outcomes.get(doc.id)
                if not o or o["status"] not in ("accepted", "closest") or o["split"] != split:
                    continue
                chosen = self.store.attempt(o["attempt_id"])
                prompt = render_prompt(self.recipe.spec.prompt, doc)
                sample = Sample(doc.id, (*prompt, Message("assistant", chosen.completion.text)),
                                passed=chosen.passed, attempts=o["attempts"], cost=o["cost"])
                line = json.dumps(sample.to_chat_example(), ensure_ascii=False)
                if options.dedupe and line in seen:  # identical examples teach nothing twice
                    continue
                seen.add(line)
                lines.append(line)
                kept.append(sample)
            (self.run_dir / f"{split}.jsonl").write_text(
                "".join(line + "\n" for line in lines), encoding="utf-8")
            if options.parquet:  # pyarrow is imported only here (the `parquet` extra)
                from distil.datasets.parquet import write_parquet

                write_parquet(kept, self.run_dir / f"{split}.parquet")
            counts[split] = len(lines)
        self.store.set_meta("dataset", counts)
        self._mark("export", "done")
        return counts

    def train(self) -> dict[str, Any] | None:
        trainer = self.recipe.trainer
        if trainer is None:
            return None
        plan = trainer.prepare(self.run_dir / "train.jsonl", self.run_dir / "validation.jsonl")
        with assume_yes(self.options.yes):
            spec = trainer.train(plan, self.run_dir)
        self.store.set_meta("student_model", spec)
        self._mark("train", "done")
        return spec

    def _eval_models(self) -> list[tuple[str, Model]]:
        out: list[tuple[str, Model]] = []
        for label, model in self.recipe.eval_models:
            if model is None and label == "student":
                spec = self.store.get_meta("student_model")
                if spec is None:
                    raise UsageError("evaluate lists `student` but no student has been trained "
                                     "in this run; run the train stage first")
                model = build_model(self.recipe.host, spec, ("student",),
                                    YamlSource(str(self.run_dir), {}, {}))
            assert model is not None
            out.append((label, model))
        return out

    async def evaluate(self) -> dict[str, Any]:
        """Every listed model answers every held-out document once, concurrently."""
        spec = self.recipe.spec.evaluate
        if spec is None:
            return {}
        docs = self.splits()[spec.split]
        if spec.limit:
            docs = docs[: spec.limit]
        models = self._eval_models()
        sem = asyncio.Semaphore(spec.concurrency)
        todo = []
        for label, model in models:
            have = {r.doc_id for r in self.store.eval_records(label)}
            todo += [(label, model, d) for d in docs if d.id not in have]

        with stage_progress("evaluate", len(todo), self.options.progress,
                            counts=("passed", "failed"), unit="requests") as bar:
            async def one(label: str, model: Model, doc: Document) -> None:
                async with sem:
                    constraints = self.constraints_for(doc)
                    prompt = render_prompt(self.recipe.spec.prompt, doc)
                    attempt_id, a = await self.request(EVALUATE, label, model, doc, prompt, 0, 0,
                                                       None, constraints)
                    c = a.completion
                    record = EvalRecord(
                        model=label, doc_id=doc.id, output=c.text if c else None,
                        verdicts=a.verdicts, latency=c.latency if c else 0.0,
                        usage=c.usage if c else Usage(), cost=c.cost if c else None,
                        error=a.error,
                    )
                    self.store.add_eval_record(record, attempt_id)
                    bar.advance(cost=record.cost, passed=int(record.passed),
                                failed=int(not record.passed))

            await gather_all(one(lb, m, d) for lb, m, d in todo)
        self.store.set_meta("eval_models", {**self.store.get_meta("eval_models", {}),
                                            **{label: m.display_name for label, m in models}})
        await prepare_metrics(self)  # metrics that ask a model (judge) send their requests now
        self._mark("evaluate", "done")
        return self.metrics()

    def metrics(self) -> dict[str, Any]:
        names = self.store.get_meta("eval_models", {})
        base = metric_context(self, offline=True)  # compute reads stored requests, sends none
        out: dict[str, Any] = {}
        for label in self.store.eval_models():
            records = self.store.eval_records(label)
            context = {**base, "label": label}
            out[label] = {
                "model": names.get(label, label),
                "metrics": {m.plugin_name: m.compute(records, context)
                            for m in self.recipe.metrics},
            }
        return out

    def results(self) -> dict[str, Any]:
        spec = self.recipe.spec
        totals = self.store.totals()
        return {
            "run": {
                "recipe": spec.name,
                "description": spec.description,
                "run_dir": str(self.run_dir),
                "distil_version": __version__,
                "seed": spec.corpus.seed,
                "started": self.manifest.get("started"),
                "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            },
            "generate": self.generation_summary(),
            "dataset": self.store.get_meta("dataset", {}),
            "models": self.metrics(),
            "totals": totals,
        }

    def report(self) -> list[Path]:
        results = self.last_results = self.results()
        paths = [r.render(results, self.run_dir) for r in self.recipe.reporters]
        if not any(p.name == "results.json" for p in paths):
            path = self.run_dir / "results.json"
            path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
            paths.append(path)
        self.manifest["finished"] = results["run"]["finished"]
        self._mark("report", "done")
        return paths

    # -- whole run ------------------------------------------------------------------------------
    async def run(self, stages: Sequence[str] = STAGES) -> list[Path]:
        try:
            paths = await self._run(stages)
            self._mark("run", "done")  # a resumed run no longer reads "interrupted"
            return paths
        except (KeyboardInterrupt, asyncio.CancelledError):
            self._mark("run", "interrupted")
            raise
        except DistilError as exc:
            self._mark("run", f"stopped: {exc}")
            raise
        finally:
            await self.aclose()

    async def _run(self, stages: Sequence[str]) -> list[Path]:
        if "generate" in stages:
            await self.generate()
        if "export" in stages:
            self.export()
        if "train" in stages:
            self.train()
        if "evaluate" in stages:
            await self.evaluate()
        if "report" in stages:
            return self.report()
        self.last_results = self.results()
        return []

    async def aclose(self) -> None:
        models = {id(m): m for _, m in self.recipe.eval_models if m is not None}
        if self.recipe.teacher_model is not None:
            models[id(self.recipe.teacher_model)] = self.recipe.teacher_model
        for m in models.values():
            await m.aclose()
        self.store.close()
        if self.cache is not None:
            self.cache.close()
