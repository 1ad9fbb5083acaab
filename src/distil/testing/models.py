"""Plugins for tests, found by name through the plugin host, as a recipe finds them.

The core never imports `plugins/`; the scripted model is a built-in plugin, so it is looked up
the way a recipe would name it (`scripted`), which also proves the host can see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from distil.kinds import Model, Plugin
from distil.plugins import PluginHost, get_host
from distil.validation_context import plugin_context


def scripted_model(outputs: Sequence[str] = (), *, echo: bool = False, latency: float = 0.0,
                   model: str = "script", host: PluginHost | None = None) -> Model:
    """The built-in `scripted` model: answers with `outputs` in turn (cycling), no network.

    With no `outputs` (or `echo=True`) it answers with the last user message. Its usage counts
    words as tokens, so cost and token figures are not all zero. Use it in a fixture::

        @pytest.fixture
        def model():
            return scripted_model(["- one\\n- two\\n- three"])
    """
    host = host or get_host()
    cls = host.get("model", "scripted")
    options = {"outputs": list(outputs), "echo": echo, "latency": latency, "model": model}
    built = cls.model_validate(options, context=plugin_context(host=host))
    assert isinstance(built, Model)
    return built


def registered(kind: str, name: str, plugins_dirs: Iterable[str | Path] = ()) -> type[Plugin]:
    """The class registered as `name` (`example/ends_with`) of `kind` (`constraint`, `model`,
    ...), found by a fresh plugin host through the `distil` entry points and `plugins_dirs`, as
    a user's run would find it: a test of it also proves the entry point and the namespace."""
    return PluginHost(plugins_dirs).get(kind, name)
