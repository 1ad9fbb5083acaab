"""Turning a validated recipe into live plugin objects, checking names and options.

Every error here names the file, the line and the field, and an unknown plugin name comes with
"did you mean ...". Each plugin's options are validated with the recipe's plugin host and
folder in the validation context (`distil.validation_context`), so composite plugins build
their children, and file-reading plugins resolve relative paths, as the recipe does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distil.errors import RecipeError, UnknownPluginError, UsageError
from distil.kinds import Constraint, ConstraintSet, Model, Plugin
from distil.plugins import PluginHost
from distil.recipe.errors import recipe_error_from_validation
from distil.recipe.yaml_source import PathKey, YamlSource
from distil.validation_context import plugin_context

RESERVED_MODEL_NAMES = ("teacher", "student")


def split_component(spec: Any, loc: PathKey, src: YamlSource) -> tuple[str, dict[str, Any], PathKey]:
    """`name` or `{name: params}` -> (name, params, loc of params)."""
    if isinstance(spec, str):
        return spec, {}, loc
    if isinstance(spec, Mapping) and len(spec) == 1:
        (name, params), = spec.items()
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise src.error((*loc, name), f"options of {name!r} must be a mapping, "
                                          f"got {type(params).__name__}")
        return str(name), dict(params), (*loc, name)
    raise src.error(loc, "write a component as `name` or `{name: {options}}` (one key)")


def build_plugin(host: PluginHost, kind: str, spec: Any, loc: PathKey, src: YamlSource,
                 extra: Mapping[str, Any] | None = None) -> Plugin:
    name, params, params_loc = split_component(spec, loc, src)
    return instantiate(host, kind, name, {**(extra or {}), **params}, loc, params_loc, src)


def instantiate(host: PluginHost, kind: str, name: str, params: dict[str, Any], name_loc: PathKey,
                params_loc: PathKey, src: YamlSource) -> Plugin:
    try:
        cls = host.get(kind, name)
    except UnknownPluginError as exc:
        raise src.error(params_loc if params_loc != name_loc else name_loc, str(exc)) from None
    base_dir = src.base_dir or (Path(src.path).resolve().parent if src.path else None)
    try:
        return cls.model_validate(params, context=plugin_context(host=host, base_dir=base_dir))
    except ValidationError as exc:
        raise recipe_error_from_validation(exc, src, params_loc, cls) from None


def parse_model_string(text: str, host: PluginHost) -> tuple[str, dict[str, Any]]:
    """`openai/gpt-4.1-mini` -> ('openai', {'model': 'gpt-4.1-mini'}); `local` -> ('local', {})."""
    registry = host.registry("model")
    if text in registry:
        return text, {}
    head, sep, rest = text.partition("/")
    if sep and head in registry:
        return head, {"model": rest}
    # third-party providers are namespaced themselves: `mypkg/echo/some-model`
    parts = text.split("/")
    if len(parts) >= 2 and "/".join(parts[:2]) in registry:
        return "/".join(parts[:2]), ({"model": "/".join(parts[2:])} if len(parts) > 2 else {})
    raise UnknownPluginError("model provider", head, registry.names())


def build_model(host: PluginHost, spec: Any, loc: PathKey, src: YamlSource) -> Model:
    """A model from `provider/model-id` or `{provider: {model: ..., ...}}`."""
    if isinstance(spec, str):
        try:
            name, params = parse_model_string(spec, host)
        except UnknownPluginError as exc:
            raise src.error(loc, f"{exc} (write `provider/model`, e.g. `local/smollm2` or "
                                 f"`openai/gpt-4.1-mini`)") from None
        return instantiate(host, "model", name, params, loc, loc, src)  # type: ignore[return-value]
    return build_plugin(host, "model", spec, loc, src)  # type: ignore[return-value]


def build_constraints(host: PluginHost, specs: list[Any], loc: PathKey,
                      src: YamlSource) -> ConstraintSet:
    built: list[Constraint] = []
    for i, spec in enumerate(specs):
        built.append(build_plugin(host, "constraint", spec, (*loc, i), src))  # type: ignore[arg-type]
    return ConstraintSet(built)


def build_document_constraints(host: PluginHost, specs: Any, where: str) -> ConstraintSet:
    """Constraints a document carries itself (e.g. IFEval's per-prompt instructions).

    `where` names the document for errors ("data.jsonl: document 'k12'").
    """
    if not specs:
        return ConstraintSet(())
    src = YamlSource(where, {"constraints": list(specs)}, {})
    try:
        return build_constraints(host, list(specs), ("constraints",), src)
    except RecipeError as exc:
        raise UsageError(str(exc)) from None


def resolve_relative(base: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else base / p
