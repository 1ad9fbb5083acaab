"""Plugin discovery: built-ins, the `distil` entry-point group and plugin directories.

Built-in plugins live in the `distil_builtin` package under `plugins/` and are found through the
same `distil` entry-point group as anyone's. Channels, in order:

1. entry points in the group `distil` (the built-ins and every installed third-party package);
2. `*.py` files in plugin directories (`--plugins-dir DIR`, or `plugins:` in a recipe).

`DISTIL_PLUGINS=name1,name2` limits which entry points load (an allow-list by entry-point
name, like llm's `LLM_LOAD_PLUGINS`); an empty value loads none.

Names: plugins from the `distil` distribution itself keep bare names (`char_count`); any other
source is namespaced, by the module's `DISTIL_NAMESPACE` if it sets one, else by the entry-point
name or the file's stem (`mypkg/word_limit`). So that no plugin can pose as a built-in or as a
provider's model (`openai/gpt-4.1-mini`), a third-party name may not contain `/`, and a
namespace may not be the first part of any built-in's name (`openai`, `char_count`, `ifeval`).
Built-ins are collected first, so the rule does not depend on load order.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from distil import hookspecs
from distil.errors import PluginError
from distil.kinds import Plugin
from distil.registry import Entry, Registry, empty_registries
from distil.validation_context import HOST, as_mapping

ENTRY_POINT_GROUP = "distil"
HOOK_BY_KIND = {
    "corpus": "register_corpora",
    "constraint": "register_constraints",
    "model": "register_models",
    "strategy": "register_strategies",
    "trainer": "register_trainers",
    "metric": "register_metrics",
    "reporter": "register_reporters",
}
OWN_DISTRIBUTION = "distil"


class PluginHost:
    """A pluggy manager plus one registry per kind, filled once at construction."""

    def __init__(self, plugins_dirs: Iterable[str | Path] = (), *, entry_points: bool = True,
                 extra_plugins: Iterable[tuple[Any, str, str | None]] = ()) -> None:
        self.pm = pluggy.PluginManager("distil")
        self.pm.add_hookspecs(hookspecs)
        # id(plugin) -> (source, namespace, builtin); only entry points of distil are built-in
        self._origin: dict[int, tuple[str, str | None, bool]] = {}
        if entry_points:
            self._load_entry_points()
        for directory in plugins_dirs:
            self._load_directory(Path(directory))
        for plugin, source, namespace in extra_plugins:
            self._add(plugin, source, namespace)
        self.registries: dict[str, Registry] = empty_registries()
        for builtin in (True, False):  # built-ins first: their names decide what is reserved
            for kind, hook_name in HOOK_BY_KIND.items():
                self._collect(kind, hook_name, builtin=builtin)

    # -- loading ------------------------------------------------------------------------------
    def _add(self, plugin: Any, source: str, namespace: str | None, *,
             builtin: bool = False) -> None:
        if self.pm.is_registered(plugin):
            return
        ns = None if builtin else getattr(plugin, "DISTIL_NAMESPACE", namespace)
        self.pm.register(plugin, name=source)
        self._origin[id(plugin)] = (source, ns, builtin)

    def _load_entry_points(self) -> None:
        allow = os.environ.get("DISTIL_PLUGINS")
        allowed = None if allow is None else {a.strip() for a in allow.split(",") if a.strip()}
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                         key=lambda e: e.name):
            if allowed is not None and ep.name not in allowed:
                continue
            dist = ep.dist.name if ep.dist else "unknown"
            try:
                module = ep.load()
            except Exception as exc:  # a broken plugin names itself, then stops the program
                raise PluginError(
                    f"plugin {ep.name!r} ({ep.value}) from {dist} failed to import: {exc}"
                ) from exc
            own = dist.lower() == OWN_DISTRIBUTION
            source = f"builtin:{ep.name}" if own else f"entrypoint:{dist}:{ep.name}"
            self._add(module, source, None if own else ep.name, builtin=own)

    def _load_directory(self, directory: Path) -> None:
        if not directory.is_dir():
            raise PluginError(f"plugins directory not found: {directory}")
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            self._add(load_module_from_file(path), f"plugins-dir:{path}", path.stem)

    # -- registries ---------------------------------------------------------------------------
    def _collect(self, kind: str, hook_name: str, *, builtin: bool) -> None:
        registry = self.registries[kind]
        caller = getattr(self.pm.hook, hook_name)
        # Call each implementation on its own so every name is attributed to its source.
        for impl in reversed(caller.get_hookimpls()):
            source, namespace, is_builtin = self._origin.get(
                id(impl.plugin), (impl.plugin_name, None, False))
            if is_builtin != builtin:
                continue
            if not builtin:
                self._check_namespace(namespace, source)

            def register(name: str, cls: type[Plugin], aliases: Iterable[str] = (), *,
                         _source: str = source, _ns: str | None = namespace) -> Entry:
                return registry.add(name, cls, source=_source, namespace=_ns,
                                    aliases=tuple(aliases))

            args = {"register": register}
            impl.function(**{a: args[a] for a in impl.argnames})

    def _check_namespace(self, namespace: str | None, source: str) -> None:
        """Refuse a namespace that is missing, holds `/`, or is taken by the built-ins."""
        if not namespace or "/" in namespace or namespace.strip() != namespace:
            raise PluginError(f"{source}: invalid plugin namespace {namespace!r} (a plain name "
                              f"without '/', e.g. the entry-point name)")
        if namespace in self._reserved_namespaces():
            raise PluginError(
                f"{source}: namespace {namespace!r} belongs to distil's built-in plugins; "
                f"rename the entry point (or the file), or set DISTIL_NAMESPACE to another name")

    def _reserved_namespaces(self) -> set[str]:
        """The first part of every built-in name and alias, of every kind."""
        return {name.split("/", 1)[0]
                for registry in self.registries.values()
                for entry in registry.entries.values() if entry.source.startswith("builtin:")
                for name in (entry.name, *entry.aliases)}

    def registry(self, kind: str) -> Registry:
        return self.registries[kind]

    def get(self, kind: str, name: str):
        return self.registries[kind].get(name)

    def entries(self) -> list[Entry]:
        out: list[Entry] = []
        for kind in HOOK_BY_KIND:
            out.extend(sorted(self.registries[kind].entries.values(), key=lambda e: e.name))
        return out

    def register_commands(self, cli: Any) -> None:
        self.pm.hook.register_commands(cli=cli)


class _NoBytecodeLoader(importlib.machinery.SourceFileLoader):
    """A plugins folder is the user's (or a recipe author's): loading it writes nothing there,
    not even `__pycache__`."""

    def set_data(self, path: str, data: bytes, *, _mode: int = 0o666) -> None:
        return None


def load_module_from_file(path: Path) -> ModuleType:
    module_name = f"distil_plugins_dir.{path.stem}_{abs(hash(str(path.resolve()))):x}"
    spec = importlib.util.spec_from_file_location(
        module_name, path, loader=_NoBytecodeLoader(module_name, str(path)))
    if spec is None or spec.loader is None:
        raise PluginError(f"{path}: cannot load as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise PluginError(f"{path}: plugin failed to import: {type(exc).__name__}: {exc}") from exc
    return module


_HOSTS: dict[tuple[str, ...], PluginHost] = {}


def get_host(plugins_dirs: Iterable[str | Path] = ()) -> PluginHost:
    """The shared host for these plugin directories (built once per process)."""
    key = tuple(str(Path(d).resolve()) for d in plugins_dirs)
    if key not in _HOSTS:
        _HOSTS[key] = PluginHost(key)
    return _HOSTS[key]


def context_host(source: Any) -> PluginHost:
    """The plugin host in a validation context (a validator's `ValidationInfo`, or the context
    mapping): the recipe's host while a recipe is built, else the default host."""
    host = as_mapping(source).get(HOST)
    return host if host is not None else get_host()


def build_constraint(spec: Any, context: Mapping[str, Any] | None = None):
    """Build one constraint from `name` or `{name: {options}}`.

    `context` is the validation context of the recipe being built (see
    `distil.validation_context`): the constraint is looked up in its host (the default host
    when there is none) and validated with the same context, so a composite's children resolve
    names and paths as the recipe does. Raises ValueError with a readable message, so it can be
    used inside pydantic validators.
    """
    from pydantic import ValidationError

    from distil.errors import UnknownPluginError

    if isinstance(spec, str):
        name, params = spec, {}
    elif isinstance(spec, dict) and len(spec) == 1:
        (name, params), = spec.items()
        params = params or {}
    else:
        raise ValueError("write a constraint as `name` or `{name: {options}}`")
    host = context_host(context)
    try:
        cls = host.get("constraint", name)
    except UnknownPluginError as exc:
        raise ValueError(str(exc)) from None
    try:
        return cls.model_validate(params, context={**(context or {}), HOST: host})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{name}: {where + ': ' if where else ''}{first['msg']}") from None
