"""Every hook is documented in docs/plugins.md, every documented example works, and every hook
is exercised by a test.

The examples are loaded as real plugin files from a plugins directory and exercised, so a hook
that is undocumented, or whose example no longer works, fails here. As in datasette, each hook
`register_x` also needs a test named `test_hook_register_x` (here or anywhere under tests/)
that implements or calls it, so a new hook cannot land untested.
"""

import ast
import asyncio
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from distil import hookspecs
from distil.engine.jobs import JobLedger
from distil.engine.store import RunStore
from distil.kinds.trainer import TrainingRun
from distil.plugins import HOOK_BY_KIND, PluginHost
from distil.types import Document, EvalRecord, Message

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "plugins.md"
HOOKS = sorted(n for n in dir(hookspecs) if n.startswith("register_"))


def examples() -> dict[str, str]:
    """hook name -> the python example under its heading."""
    text = DOC.read_text(encoding="utf-8")
    out = {}
    for section in text.split("\n### ")[1:]:
        name = section.split("(", 1)[0].strip()
        if not name.startswith("register_"):
            continue  # a section about something else (names, validation context)
        blocks = re.findall(r"```python\n(.*?)```", section, re.S)
        out[name] = "\n".join(blocks)
    return out


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    d = tmp_path_factory.mktemp("doc_plugins")
    for name, code in examples().items():
        (d / f"doc_{name}.py").write_text(code)
    return PluginHost([d]), d


def test_every_hookspec_has_a_section_and_an_example():
    ex = examples()
    assert set(HOOKS) == set(HOOK_BY_KIND.values()) | {"register_commands"}
    for hook in HOOKS:
        assert hook in ex, f"{hook} is not documented in docs/plugins.md"
        assert f"def {hook}(" in ex[hook], f"the example for {hook} does not implement it"


def hook_tests() -> dict[str, str]:
    """`test_hook_<hook>` function name -> the source of its body (not its `def` line, which
    names the hook anyway), from every test module under tests/."""
    found = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_hook_"):
                found[node.name] = "\n".join(ast.get_source_segment(source, stmt) or ""
                                              for stmt in node.body)
    return found


def test_every_hook_is_exercised_by_a_test():
    tests = hook_tests()
    for hook in HOOKS:
        name = f"test_hook_{hook}"
        assert name in tests, f"{hook} has no test: add `def {name}(...)` under tests/"
        # it must implement the hook (a plugin written in the test), call it, or use what a
        # documented example registered through it (`doc_<hook>/...`)
        assert hook in tests[name], f"{name} neither implements nor calls {hook}"


def test_hook_register_corpora(host):
    h, _ = host
    corpus = h.get("corpus", "doc_register_corpora/numbers").model_validate({"n": 3})
    assert [d.text for d in corpus.iter_documents()] == [
        "The number 1.", "The number 2.", "The number 3."]


def test_hook_register_constraints(host):
    h, _ = host
    upper = h.get("constraint", "doc_register_constraints/upper")()
    assert upper.check("LOUD").passed
    v = upper.check("Quiet")
    assert not v.passed and v.distance == 4 and v.feedback.startswith("Write the whole text")


def test_hook_register_models(host):
    h, _ = host
    model = h.get("model", "doc_register_models/shout")()
    answer = asyncio.run(model.complete([Message("user", "hello")]))
    assert answer.text == "HELLO"


def test_hook_register_strategies(host):
    h, _ = host
    model = h.get("model", "doc_register_models/shout")()
    strategy = h.get("strategy", "doc_register_strategies/twice")()
    upper = h.get("constraint", "doc_register_constraints/upper")()
    from distil.kinds import ConstraintSet
    from distil.types import Attempt

    constraints = ConstraintSet([upper])
    calls = []

    async def attempt(messages, restart, round_, params=None):
        calls.append((restart, round_))
        c = await model.complete(messages)
        return Attempt("d", restart, round_, tuple(messages), c, constraints.check(c.text))

    prompt = (Message("user", "hello"),)
    result = asyncio.run(strategy.solve(Document("d", "x"), prompt, attempt, model, constraints))
    assert calls == [(0, 0)] and result[0].completion.text == "HELLO" and result[0].passed


def test_hook_register_trainers(host, tmp_path):
    h, _ = host
    trainer = h.get("trainer", "doc_register_trainers/no_training")()
    data = tmp_path / "train.jsonl"
    data.write_text('{"messages": []}\n{"messages": []}\n')
    plan = trainer.prepare(data, None)
    assert plan["examples"] == 2
    ledger = JobLedger(RunStore.create(tmp_path / "store.sqlite"), tmp_path)
    run = TrainingRun(dir=tmp_path, jobs=ledger)
    assert asyncio.run(trainer.train(plan, run)) == "local/smollm2"


def test_hook_register_metrics(host):
    h, _ = host
    metric = h.get("metric", "doc_register_metrics/answered")()
    records = [EvalRecord("m", "1", "out"), EvalRecord("m", "2", None, error="boom")]
    assert metric.compute(records, {}) == {"n": 2, "rate": 0.5}


def test_hook_register_reporters(host, tmp_path):
    h, _ = host
    reporter = h.get("reporter", "doc_register_reporters/compact")()
    path = reporter.render({"a": 1}, tmp_path)
    assert json.loads(path.read_text()) == {"a": 1}


def test_hook_register_commands(host):
    h, _ = host
    import click

    @click.group()
    def group():
        pass

    h.register_commands(group)
    out = CliRunner().invoke(group, ["hello"])
    assert out.exit_code == 0 and out.output == "hello from a plugin\n"
