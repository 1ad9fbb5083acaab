"""What travels in pydantic's validation context while a recipe's plugins are built.

The recipe loader validates every plugin's options with
`cls.model_validate(params, context=plugin_context(host=..., base_dir=...))`. A validator that
needs to know where the recipe lives (to resolve a relative path) or which plugins exist (to
build the children of a composite constraint, to check a model name) reads them from its
`ValidationInfo`. Nothing is kept in a global, so two recipes loaded in one process (the
recipes of a suite, say) never see each other's plugin directories or folders.

A plugin built directly in Python (`CharCount(max=10)`, a test) has no context: relative paths
are then taken from the working directory, and `distil.plugins.context_host` gives the default
host. (That helper lives with the hosts, so this module, which every plugin's base class
reads, imports nothing of distil's.)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationInfo

BASE_DIR = "base_dir"
HOST = "host"


def plugin_context(*, host: Any = None, base_dir: str | Path | None = None) -> dict[str, Any]:
    """The context to pass to `model_validate` when building plugins for a recipe.

    `host` is the recipe's `distil.plugins.PluginHost`."""
    return {HOST: host, BASE_DIR: None if base_dir is None else Path(base_dir)}


def as_mapping(source: ValidationInfo | Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The context itself, from a validator's `ValidationInfo` or a mapping; {} for none."""
    context = getattr(source, "context", source)
    return context if isinstance(context, Mapping) else {}


def context_base_dir(source: ValidationInfo | Mapping[str, Any] | None) -> Path | None:
    """The folder relative paths are taken from (the recipe's), or None."""
    base = as_mapping(source).get(BASE_DIR)
    return None if base is None else Path(base)
