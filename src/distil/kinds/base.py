"""The base every plugin class shares."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationInfo, model_validator

from distil.validation_context import context_base_dir


class Plugin(BaseModel):
    """A plugin is a pydantic model of its options plus the behaviour of its kind.

    Unknown options are refused (`extra="forbid"`), so a typo in a recipe is an error naming the
    field rather than a silently ignored setting. `plugin_name` is set by the registry to the
    name the plugin was registered under.

    Relative paths in a plugin's options are relative to the recipe file: the loader passes the
    recipe's folder in the validation context (`distil.validation_context`), the plugin
    remembers it, and `resolve_path` applies it. Built without a context, paths are taken from
    the working directory.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    plugin_name: ClassVar[str] = ""

    _base_dir: Path | None = PrivateAttr(default=None)  # the recipe's folder, when built for one

    @model_validator(mode="after")
    def _remember_base_dir(self, info: ValidationInfo):
        self._base_dir = context_base_dir(info)
        return self

    def resolve_path(self, path: str | Path) -> Path:
        """`path` with `~` expanded and, when relative, taken from the recipe's folder."""
        p = Path(path).expanduser()
        if not p.is_absolute() and self._base_dir is not None:
            p = self._base_dir / p
        return p
