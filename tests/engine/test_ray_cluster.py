"""`execution: ray` on a real multi-node Ray cluster on this machine (issue 16).

One cluster for the module: a head node and two worker nodes (`ray.cluster_utils.Cluster`, each
node its own raylet and object store, as separate machines would have), which every run below
joins by address. The teacher is the real `openai` model plugin pointed at the loopback server
through Ray Data's HTTP processor; the server's answers are a function of the request (see
harness), and a fifth of requests are faulted (429 with Retry-After, 500, dropped
connections), so a Ray run and an online run must export the very same bytes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests import storeview
from tests.core.clihelp import distil
from tests.engine.harness import API_KEY, answered, comparable_results, conversation, env, \
    kill, start, summary_reply, wait_for_attempts, write_recipe
from tests.loopback import LoopbackServer

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing leaves the machine
ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")
from ray.cluster_utils import Cluster  # noqa: E402

DOCS = 40
SPLIT = {"train": 24, "validation": 6, "test": 10}
FAULT_KINDS = ("rate_limit", "server_error", "drop")
SEED = 3
MODEL = {"retries": 8, "retry_base_delay": 0.01, "params": {"seed": SEED}}
STRATEGY = {"refine": {"max_rounds": 3, "restarts": 1}}
MB = 1024 * 1024


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A head node and two worker nodes, small: one CPU's worth each, 100 MB object stores."""
    c = Cluster(initialize_head=True, connect=False,
                head_node_args={"num_cpus": 1, "object_store_memory": 100 * MB,
                                "include_dashboard": False})
    for _ in range(2):
        c.add_node(num_cpus=2, object_store_memory=100 * MB)
    c.wait_for_nodes()
    try:
        yield c
    finally:
        c.shutdown()


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(summary_reply, latency=0.01, faults=0.2, seed=5,
                        fault_kinds=FAULT_KINDS, fault_retry_after=0.05) as s:
        yield s


def ray_recipe(directory: Path, server: LoopbackServer, cluster: Cluster | None, *,
               execution: str = "ray", docs: int = DOCS, **ray_options) -> Path:
    """The harness recipe, its teacher (and evaluation) on Ray at the test's cluster."""
    path = write_recipe(directory, server.url, docs=docs, split=SPLIT, strategy=STRATEGY,
                        model=MODEL, concurrency=8)
    recipe = yaml.safe_load(path.read_text(encoding="utf-8"))
    if execution == "ray":
        options = {"address": cluster.address if cluster else "local", "batch_size": 8,
                   "concurrency": 2, **ray_options}
        recipe["teacher"].update(execution="ray", ray=options)
        recipe["evaluate"].update(execution="ray", ray=options)
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path


def bodies(requests) -> set[str]:
    """The chat request bodies, as JSON text with sorted keys."""
    return {json.dumps(r.json, sort_keys=True) for r in requests
            if r.path == "/v1/chat/completions"}


@pytest.fixture(scope="module")
def online(server, tmp_path_factory) -> Path:
    """The same recipe run online: the reference every Ray run must match."""
    here = tmp_path_factory.mktemp("online")
    sent = len(server.requests)
    out = distil("run", str(ray_recipe(here, server, None, execution="online")),
                 "--run-dir", "run", "--no-cache", cwd=here, env=env())
    assert out.returncode == 0, out.stderr
    ONLINE_BODIES.update(bodies(server.requests[sent:]))
    return here / "run"


ONLINE_BODIES: set[str] = set()


def assert_same_exports(run: Path, reference: Path) -> None:
    for name in ("train.jsonl", "validation.jsonl"):
        assert (run / name).read_bytes() == (reference / name).read_bytes(), name
    assert comparable_results(run) == comparable_results(reference)


def settled(server: LoopbackServer, quiet: float = 1.5) -> int:
    """How many requests the server has seen, once nothing more arrives from a dead driver."""
    n = -1
    while n != len(server.requests):
        n = len(server.requests)
        time.sleep(quiet)
    return n


def test_a_ray_run_exports_what_the_online_run_does(cluster, server, online, tmp_path):
    sent = len(server.requests)
    out = distil("run", str(ray_recipe(tmp_path, server, cluster)), "--run-dir", "run",
                 "--no-cache", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    run = tmp_path / "run"
    assert_same_exports(run, online)
    # the same requests, each answered once and committed once
    assert sorted(a.request_key for a in storeview.attempts(run)) == sorted(
        a.request_key for a in storeview.attempts(online))
    # rounds: at most max_rounds x (restarts + 1) for the teacher, plus the fault retries
    rounds = [line for line in out.stderr.splitlines() if line.startswith("ray: round ")]
    assert len(rounds) >= 3
    # faults of every kind reached the Ray workers, and none is left in the run's record
    faults = Counter(r.reply.fault or r.reply.status for r in server.requests[sent:]
                     if r.reply is not None and (r.reply.fault or r.reply.status != 200))
    assert set(faults) == {"drop", 429, 500}, faults
    assert json.loads((run / "results.json").read_text())["totals"]["request_errors"] == 0
    # the workers sent what the openai model sends online, byte for byte (no key Arrow added
    # as null to a body that had none, no integer turned into a float)
    assert bodies(server.requests[sent:]) == ONLINE_BODIES
    # the key travelled to the workers in memory only: not in the run directory
    assert not [p for p in run.iterdir() if p.is_file() and API_KEY.encode() in p.read_bytes()]
    # ... and not in what the Ray cluster wrote (its logs, spilled objects)
    session = Path(cluster.head_node.get_session_dir_path())
    assert not [p for p in session.rglob("*") if p.is_file() and not p.is_symlink()
                and p.stat().st_size < 64 * MB and API_KEY.encode() in p.read_bytes()]


def test_the_cache_an_online_run_filled_answers_a_ray_run(cluster, server, tmp_path):
    cache = env(DISTIL_CACHE_DIR=str(tmp_path / "cache"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    out = distil("run", str(ray_recipe(tmp_path / "a", server, None, execution="online")),
                 "--run-dir", "run", cwd=tmp_path / "a", env=cache)
    assert out.returncode == 0, out.stderr
    sent = len(server.requests)
    out = distil("run", str(ray_recipe(tmp_path / "b", server, cluster)), "--run-dir", "run",
                 cwd=tmp_path / "b", env=cache)
    assert out.returncode == 0, out.stderr
    assert len(server.requests) == sent and "ray: round" not in out.stderr  # no pass at all
    for name in ("train.jsonl", "validation.jsonl"):
        assert (tmp_path / "b/run" / name).read_bytes() == (tmp_path / "a/run" / name).read_bytes()
    assert storeview.totals(tmp_path / "b/run")["cached"] == storeview.attempt_count(
        tmp_path / "b/run")


def test_the_budget_holds_on_ray(cluster, server, tmp_path):
    # about nine requests' estimates (each at max_tokens 1,024 of output): part of round 1
    budget = 0.03
    out = distil("run", str(ray_recipe(tmp_path, server, cluster)), "--run-dir", "run",
                 "--no-cache", "--max-cost", f"{budget:.6f}", cwd=tmp_path, env=env())
    assert out.returncode == 1, out.stderr
    assert "--max-cost" in out.stderr.strip().splitlines()[-1]
    assert 0 < storeview.totals(tmp_path / "run")["cost"] <= budget


def test_answers_are_judged_on_the_workers(cluster, server, online, tmp_path, monkeypatch):
    """In a driver whose constraints refuse to run, the run still completes with the online
    run's exports: every verdict came back from a worker."""
    import asyncio

    from distil.engine.runner import RunOptions, Runner
    from distil.kinds import ConstraintSet
    from distil.recipe import load_recipe

    def refuse(*args, **kwargs):
        raise AssertionError("an answer was judged on the driver")

    monkeypatch.setenv("DISTIL_ENGINE_TEST_KEY", API_KEY)
    recipe = load_recipe(ray_recipe(tmp_path, server, cluster))
    monkeypatch.setattr(ConstraintSet, "check", refuse)
    runner = Runner(recipe, tmp_path / "run", RunOptions(progress=False, use_cache=False))
    try:
        asyncio.run(runner.run())
    finally:
        ray.shutdown()
    assert_same_exports(tmp_path / "run", online)


def test_a_pass_that_fails_midway_sends_what_it_left_in_the_next_round(
        cluster, server, online, tmp_path, monkeypatch, capfd):
    """A Ray pass that raises after five answers (a driver losing its connection, a processor
    failing) costs nothing: the five are committed, the rest of its requests go out again in
    the next round, and the run exports what the online run does."""
    import asyncio

    from distil.engine import ray_rounds
    from distil.engine.runner import RunOptions, Runner
    from distil.recipe import load_recipe

    real, passes = ray_rounds.stream, []

    async def fails_once(processor, rows, blocks):
        passes.append(len(rows))
        answered_here = 0
        async for row in real(processor, rows, blocks):
            if len(passes) == 1 and answered_here == 5:
                raise ray_rounds.RayPassFailed("the Ray pass failed: injected by the test")
            answered_here += 1
            yield row

    monkeypatch.setattr(ray_rounds, "stream", fails_once)
    monkeypatch.setenv("DISTIL_ENGINE_TEST_KEY", API_KEY)
    recipe = load_recipe(ray_recipe(tmp_path, server, cluster))
    runner = Runner(recipe, tmp_path / "run", RunOptions(progress=False, use_cache=False))
    try:
        asyncio.run(runner.run())
    finally:
        ray.shutdown()
    first = SPLIT["train"] + SPLIT["validation"]
    assert passes[0] == first
    assert f"ray: round 1: 5 of {first} requests answered" in capfd.readouterr().err
    assert_same_exports(tmp_path / "run", online)
    assert not [a for a in storeview.attempts(tmp_path / "run") if a.attempt.error]


def test_a_pass_posts_each_body_as_built_and_a_batch_at_once(cluster, tmp_path, monkeypatch):
    """Bodies of different keys in one batch reach the server as the `openai` model built them
    (Arrow, between Ray's stages, would add `"seed": null` and make 3 into 3.0), and a batch's
    requests are in flight together (Ray's stage awaits them one by one)."""
    import asyncio

    from distil.engine.ray_rounds import build, connect, stream
    from distil.recipe import load_recipe
    from distil.recipe.models import RaySpec

    monkeypatch.setenv("DISTIL_ENGINE_TEST_KEY", API_KEY)
    with LoopbackServer(summary_reply, latency=0.3) as quiet:
        model = load_recipe(ray_recipe(tmp_path, quiet, cluster)).teacher_model
        built = []
        for i in range(8):
            params = {**({"seed": 3} if i % 2 else {}), **({"temperature": 0.5} if i % 3 else {})}
            messages = ({"role": "user", "content": f"Document {i}: text number {i}."},)
            built.append({"model": "loopback-model", "messages": list(messages), **params})
        rows = [{"i": i, "body": json.dumps(b), "judge": False,
                 "doc": json.dumps({"id": f"d{i}", "text": "x"})} for i, b in enumerate(built)]
        connect(cluster.address)
        try:
            processor = build(RaySpec(batch_size=8, concurrency=1), model, None, None)

            async def collect():
                return [row async for row in stream(processor, rows, blocks=1)]

            out = asyncio.run(collect())
        finally:
            ray.shutdown()
        assert sorted(int(r["i"]) for r in out) == list(range(8))
        assert bodies(quiet.requests) == {json.dumps(b, sort_keys=True) for b in built}
        assert quiet.max_in_flight == 8


def test_kill_the_driver_mid_round_and_resume(cluster, server, online, tmp_path):
    recipe = ray_recipe(tmp_path, server, cluster)
    run = tmp_path / "run"
    proc = start("run", str(recipe), "--run-dir", "run", "--no-cache", cwd=tmp_path)
    total = storeview.attempt_count(online)
    wait_for_attempts(run, proc, total // 3, timeout=240)
    assert kill(proc) == -signal.SIGKILL
    # the dead driver's job ends when Ray notices; its workers' requests in flight still land
    cut = settled(server)
    before = storeview.attempts(run)
    assert 0 < len(before) < total
    out = distil("run", "--resume", "run", "--no-cache", cwd=tmp_path, env=env())
    assert out.returncode == 0, out.stderr
    after = storeview.attempts(run)
    assert after[: len(before)] == before  # nothing lost
    # a fresh conversation (restart 1) sends the first one's messages with its own seed
    done = {(conversation(m.to_dict() for m in a.attempt.messages), SEED + a.attempt.restart)
            for a in before if a.attempt.error is None}
    asked = {(conversation(r.json["messages"]), r.json["seed"])
             for r in answered(server.requests[cut:])}
    assert not done & asked  # nothing paid for twice
    assert len({a.position for a in after}) == len(after)
    assert_same_exports(run, online)


def test_kill_a_worker_node_mid_round_and_every_document_is_accounted_for(
        cluster, server, tmp_path):
    recipe = ray_recipe(tmp_path, server, cluster)
    run = tmp_path / "run"
    proc = start("run", str(recipe), "--run-dir", "run", "--no-cache", cwd=tmp_path)
    wait_for_attempts(run, proc, 10, timeout=240)
    victim = cluster.worker_nodes and list(cluster.worker_nodes)[0]
    cluster.remove_node(victim, allow_graceful=False)
    try:
        assert proc.wait(timeout=300) in (0, 1), (tmp_path / "stderr.txt").read_text()
    finally:
        cluster.add_node(num_cpus=2, object_store_memory=100 * MB)
    outcomes = storeview.statuses(run)
    assert len(outcomes) == SPLIT["train"] + SPLIT["validation"]
    assert set(outcomes.values()) <= {"accepted", "rejected", "failed"}
    assert len(storeview.eval_records(run)) == SPLIT["test"]


def test_without_ray_the_recipe_stops_with_the_install_line(server, tmp_path):
    recipe = ray_recipe(tmp_path, server, None)
    hide = "import sys; sys.modules['ray'] = None; from distil.cli import main; main()"
    out = subprocess.run([sys.executable, "-c", hide, "run", str(recipe), "--run-dir", "run"],
                         cwd=tmp_path, capture_output=True, text=True, env=env(), timeout=120)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'distil[ray]'" in lines[0], out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "run").exists()


def test_the_vllm_processor_config_is_built_and_validated(server, tmp_path):
    from distil.engine.ray_rounds import processor_config
    from distil.recipe import load_recipe
    from distil.recipe.models import RaySpec

    recipe = load_recipe(ray_recipe(tmp_path, server, None))
    spec = RaySpec.model_validate({"processor": "vllm", "batch_size": 32, "concurrency": 4,
                                   "vllm": {"model_source": "Qwen/Qwen2.5-0.5B-Instruct",
                                            "engine_kwargs": {"max_model_len": 4096},
                                            "accelerator_type": "L4"}})
    config = processor_config(spec, recipe.teacher_model)
    assert type(config).__name__ == "vLLMEngineProcessorConfig"
    assert config.model_source == "Qwen/Qwen2.5-0.5B-Instruct"
    assert (config.batch_size, config.accelerator_type) == (32, "L4")
    assert config.engine_kwargs["max_model_len"] == 4096
    assert config.concurrency == (4, 4) and config.should_continue_on_error
    with pytest.raises(ValueError):  # Ray's own validation runs on what distil passes
        processor_config(spec.model_copy(update={"concurrency": 0}), recipe.teacher_model)


BUILD_VLLM = """
from distil.engine.ray_rounds import build
from distil.recipe.models import RaySpec

class Teacher:
    model, retries, retry_base_delay, timeout = "Qwen/Qwen2.5-0.5B-Instruct", 2, 0.1, 5.0

spec = RaySpec.model_validate({"processor": "vllm", "vllm": {"engine_kwargs": {"max_model_len": 4096}}})
print(build(spec, Teacher(), None, None).list_stage_names())
"""


def test_the_vllm_processor_is_built_without_vllm_or_a_gpu():
    """Ray builds the processor's stages (vLLM itself is imported only on the GPU workers);
    offline, so nothing is fetched from a model hub."""
    out = subprocess.run([sys.executable, "-c", BUILD_VLLM], capture_output=True, text=True,
                         env=env(HF_HUB_OFFLINE="1", RAY_USAGE_STATS_ENABLED="0"), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == (
        "['ChatTemplateStage', 'TokenizeStage', 'vLLMEngineStage', 'DetokenizeStage']")
