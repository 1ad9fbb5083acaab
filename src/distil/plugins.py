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
Built-ins are collected before any third-party hook, so the rule does not depend on load order.

Loading is lazy (docs/plugins.md, "When plugins load"): entry points are read as metadata, a
module is imported and a kind's hooks called when a name of that kind is first looked up.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from distil import hookspecs
from distil.errors import PluginError
from distil.registry import Entry, Registry, empty_registry

if TYPE_CHECKING:
    from distil.kinds import Plugin
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
    """A pluggy manager plus one registry per kind, each filled when it is first used.

    Start-up reads entry-point metadata only; a module is imported, and a kind's hooks called,
    when a name of that kind is first resolved (see docs/plugins.md, "When plugins load").
    A host given plugin directories or extra plugins loads everything at construction, so a
    file the user pointed at is refused at once.
    """

    def __init__(self, plugins_dirs: Iterable[str | Path] = (), *, entry_points: bool = True,
                 extra_plugins: Iterable[tuple[Any, str, str | None]] = ()) -> None:
        self.pm = pluggy.PluginManager("distil")
        self.pm.add_hookspecs(hookspecs)
        # id(plugin) -> (source, namespace, builtin); only entry points of distil are built-in
        self._origin: dict[int, tuple[str, str | None, bool]] = {}
        self._pending = self.read_entry_points() if entry_points else []
        self._builtin_kinds: set[str] = set()   # kinds whose built-in hooks have been called
        self._complete_kinds: set[str] = set()  # kinds whose every hook has been called
        self._called: set[tuple[str, int]] = set()  # (kind, id(plugin)) hooks already called
        self.registries: dict[str, Registry] = {}  # each made when its kind is first used
        for directory in plugins_dirs:
            self._load_directory(Path(directory))
        for plugin, source, namespace in extra_plugins:
            self._add(plugin, source, namespace)
        if self._origin:  # explicit plugins: every check now, as the user asked for them
            self.load_all()

    # -- loading ------------------------------------------------------------------------------
    def _add(self, plugin: Any, source: str, namespace: str | None, *,
             builtin: bool = False) -> None:
        if self.pm.is_registered(plugin):
            return
        ns = None if builtin else getattr(plugin, "DISTIL_NAMESPACE", namespace)
        self.pm.register(plugin, name=source)
        self._origin[id(plugin)] = (source, ns, builtin)

    @staticmethod
    def read_entry_points() -> list[tuple[importlib.metadata.EntryPoint, bool]]:
        """The allowed entry points and whether each is distil's own, none imported."""
        allow = os.environ.get("DISTIL_PLUGINS")
        allowed = None if allow is None else {a.strip() for a in allow.split(",") if a.strip()}
        found = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                       key=lambda e: e.name)
        return [(ep, _distribution(ep).lower() == OWN_DISTRIBUTION) for ep in found
                if allowed is None or ep.name in allowed]

    def _import_entry_points(self, *, builtin: bool,
                             only: Callable[[importlib.metadata.EntryPoint], bool] | None = None
                             ) -> None:
        for ep, own in list(self._pending):
            if own != builtin or (only is not None and not only(ep)):
                continue
            self._pending.remove((ep, own))
            dist = _distribution(ep)
            try:
                module = ep.load()
            except Exception as exc:  # a broken plugin names itself, then stops the program
                raise PluginError(
                    f"plugin {ep.name!r} ({ep.value}) from {dist} failed to import: {exc}"
                ) from exc
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
    def _builtins(self, kind: str, want: str | None = None) -> Registry:
        """The registry of `kind` holding every built-in of that kind, or, given `want`, the
        built-ins' hooks called in order only until one registers that name (so `char_count`
        does not import the IFEval pack)."""
        if kind not in self._builtin_kinds:
            self.registries.setdefault(kind, empty_registry(kind))
            self._import_entry_points(builtin=True)
            if self._collect(kind, HOOK_BY_KIND[kind], builtin=True, want=want):
                self._builtin_kinds.add(kind)
        return self.registries[kind]

    def _complete(self, kind: str) -> Registry:
        """The registry of `kind` with every plugin's names. A third-party hook is called only
        once every built-in of every kind is known, so the namespace rule does not depend on
        which kind was asked for first."""
        if kind not in self._complete_kinds:
            for each in HOOK_BY_KIND:
                self._builtins(each)
            self._import_entry_points(builtin=False)
            self._collect(kind, HOOK_BY_KIND[kind], builtin=False)
            self._complete_kinds.add(kind)
        return self.registries[kind]

    def load_all(self) -> None:
        """Import every plugin and register every name (what `distil plugins` lists)."""
        for kind in HOOK_BY_KIND:
            self._complete(kind)

    def _collect(self, kind: str, hook_name: str, *, builtin: bool,
                 want: str | None = None) -> bool:
        """Call the hooks of `kind` not called yet; False when it stopped early at `want`."""
        registry = self.registries[kind]
        caller = getattr(self.pm.hook, hook_name)
        # Call each implementation on its own so every name is attributed to its source;
        # built-ins in entry-point order (distil_builtin before the IFEval pack).
        impls = caller.get_hookimpls()
        for impl in (impls if builtin else reversed(impls)):
            source, namespace, is_builtin = self._origin.get(
                id(impl.plugin), (impl.plugin_name, None, False))
            if is_builtin != builtin or (kind, id(impl.plugin)) in self._called:
                continue
            if want is not None and want in registry:
                return False
            self._called.add((kind, id(impl.plugin)))
            if not builtin:
                self._check_namespace(namespace, source)

            def register(name: str, cls: type[Plugin], aliases: Iterable[str] = (), *,
                         _source: str = source, _ns: str | None = namespace) -> Entry:
                return registry.add(name, cls, source=_source, namespace=_ns,
                                    aliases=tuple(aliases))

            args = {"register": register}
            impl.function(**{a: args[a] for a in impl.argnames})
        return want is None or want not in registry

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
        return self._complete(kind)

    def get(self, kind: str, name: str):
        """The class registered as `name`. A built-in's name is found without importing any
        third-party plugin: no third-party name can equal one (its namespace may not be the
        first part of a built-in's name), so only a miss loads the rest."""
        builtins = self._builtins(kind, want=name)
        if name in builtins:
            return builtins.get(name)
        return self._complete(kind).get(name)

    def entries(self) -> list[Entry]:
        self.load_all()
        out: list[Entry] = []
        for kind in HOOK_BY_KIND:
            out.extend(sorted(self.registries[kind].entries.values(), key=lambda e: e.name))
        return out

    def register_commands(self, cli: Any) -> None:
        """Let plugins add commands, importing only the entry-point modules that can: a
        third-party module whose source names `register_commands` (or that cannot be read).
        distil's own entry points add none (tests/core/test_lazy_plugins.py checks), so `distil
        --help` imports no plugin."""
        self._import_entry_points(builtin=False, only=_may_add_commands)
        self.pm.hook.register_commands(cli=cli)


def _distribution(ep: importlib.metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist else "unknown"


def _may_add_commands(ep: importlib.metadata.EntryPoint) -> bool:
    """Whether the module an entry point names may implement `register_commands`: its source
    mentions the hook's name. Unreadable source (compiled, zipped, not found) counts as yes."""
    try:
        spec = importlib.util.find_spec(ep.module)
        origin = spec.origin if spec is not None else None
        if origin is None or not origin.endswith(".py"):
            return True
        return "register_commands" in Path(origin).read_text(encoding="utf-8", errors="replace")
    except (ImportError, OSError, ValueError):
        return True


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
