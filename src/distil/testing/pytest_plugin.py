"""distil's pytest plugin, registered through the `pytest11` entry point when distil is installed.

pytest loads this module in every session of everyone who has distil installed, so it imports
nothing but pytest at import time: distil's engine, pydantic and the plugins are imported the
first time a fixture is used.

Fixtures:

- `distil_scripted(outputs)`: the built-in `scripted` model (answers from a list, offline);
- `distil_replay(outputs)`: the `replay` model over `{document id: output}` (or a JSONL path);
- `distil_eval(recipe, model=..., limit=..., split=...)`: one recipe's evaluation through the
  engine, returning an `EvalResult` (`result.pass_rate`, `result[label].metrics`). Its figures
  are kept in pytest's cache (`.pytest_cache`), keyed by everything they depend on, so a rerun
  sends nothing.

Options: `--distil-model MODEL` points every `distil_eval` at another model; `--distil-no-cache`
neither reads nor writes kept figures, nor uses distil's response cache.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

CACHE_PREFIX = "distil/eval/"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("distil", "distil: constraint assertions and recipe evaluations")
    group.addoption("--distil-model", metavar="MODEL", default=None,
                    help="Evaluate every distil_eval with this model instead of the one the "
                         "test names (`openai/gpt-4.1-mini`, `replay/outputs.jsonl`, ...).")
    group.addoption("--distil-no-cache", action="store_true", default=False,
                    help="Run every distil_eval afresh: no kept figures, no response cache.")


@pytest.fixture
def distil_scripted() -> Callable[..., Any]:
    """A factory of the offline `scripted` model: `distil_scripted(["answer 1", "answer 2"])`."""
    from distil.testing.models import scripted_model

    return scripted_model


@pytest.fixture
def distil_replay(tmp_path: Path) -> Callable[..., Any]:
    """A factory of the `replay` model: `distil_replay({"doc-1": "output", ...})`, or
    `distil_replay("outputs.jsonl")` for a file already written. No provider is called."""

    def make(outputs: Mapping[str, str] | str | Path, *, name: str = "replay") -> Any:
        from distil.plugins import get_host
        from distil.validation_context import plugin_context

        if isinstance(outputs, Mapping):
            path = tmp_path / f"{name.replace('/', '_')}-outputs.jsonl"
            path.write_text("".join(json.dumps({"id": k, "output": v}, ensure_ascii=False) + "\n"
                                    for k, v in outputs.items()), encoding="utf-8")
        else:
            path = Path(outputs)
        host = get_host()
        cls = host.get("model", "replay")
        return cls.model_validate({"path": str(path.resolve()), "model": name},
                                  context=plugin_context(host=host))

    return make


@pytest.fixture
def distil_eval(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """Run one recipe's evaluation (evaluate and report stages, a run directory of its own)
    and return its figures: `distil_eval("recipe.yaml", model="replay/out.jsonl", limit=20)`."""
    config = request.config
    override = config.getoption("--distil-model")
    no_cache = config.getoption("--distil-no-cache")
    cache = None if no_cache else getattr(config, "cache", None)

    def run(recipe: str | Path, model: Any = None, *, limit: int | None = None,
            split: str | None = None) -> Any:
        from distil.engine.evaluation import model_option
        from distil.testing.evaluation import EvalResult, build_plan, cache_key, run_plan

        chosen = model_option(override) if override else model
        loaded, plan = build_plan(recipe, chosen, limit=limit, split=split)
        key = CACHE_PREFIX + cache_key(loaded, plan)
        if cache is not None:
            kept = cache.get(key, None)
            if isinstance(kept, dict):
                return EvalResult(kept, None, cached=True)
        run_dir = tmp_path_factory.mktemp("distil-eval") / "run"
        result = run_plan(loaded, plan, run_dir, use_cache=not no_cache)
        if cache is not None:
            cache.set(key, result.results)
        return result

    return run
