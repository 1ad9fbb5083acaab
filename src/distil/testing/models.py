"""Models for tests, found by name through the plugin host.

The core never imports `plugins/`; the scripted model is a built-in plugin, so it is looked up
the way a recipe would name it (`scripted`), which also proves the host can see it.
"""

from __future__ import annotations

from collections.abc import Sequence

from distil.kinds import Model
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
