"""Registries: one per plugin kind, filled through the `register` callbacks.

A registry checks that what is registered is a subclass of its kind, refuses a second
registration of the same name, puts third-party names in a namespace, and answers an unknown
name with "did you mean ...".

A third-party name may not contain `/`: the namespace is the only `/` in it. Otherwise a
package could register `openai/gpt-4.1-mini` as a model and be found before the `openai`
provider, since a model string is first looked up whole.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from distil.errors import PluginError, UnknownPluginError

if TYPE_CHECKING:
    from distil.kinds import Plugin


@dataclass(frozen=True)
class Entry:
    kind: str
    name: str
    cls: type[Plugin]
    source: str  # "builtin", "entrypoint:<dist>", "plugins-dir:<path>", "runtime"
    aliases: tuple[str, ...] = ()

    def describe(self) -> str:
        """The first sentence of the class docstring, whole even when it runs over lines."""
        return first_sentence(self.cls.__doc__ or "")


# A sentence ends at . ! ? followed by a space and a capital, digit, quote or bracket; not after
# the abbreviations docstrings use mid-sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(\[])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.")


def first_sentence(doc: str) -> str:
    """The first sentence of the first paragraph of `doc`, its lines joined with spaces."""
    paragraph = " ".join(inspect.cleandoc(doc).split("\n\n", 1)[0].split())
    for end in _SENTENCE_END.finditer(paragraph):
        if not paragraph[:end.start()].endswith(_ABBREVIATIONS):
            return paragraph[:end.start()]
    return paragraph


@dataclass
class Registry:
    kind: str
    base: type[Plugin]
    entries: dict[str, Entry] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, cls: Any, *, source: str, namespace: str | None,
            aliases: tuple[str, ...] = ()) -> Entry:
        if not isinstance(cls, type) or not issubclass(cls, self.base):
            raise PluginError(
                f"{source}: {self.kind} {name!r} must be a subclass of "
                f"distil.kinds.{self.base.__name__}, got {cls!r}"
            )
        full = self._qualify(name, namespace, source)
        all_aliases = tuple(self._qualify(a, namespace, source) for a in aliases)
        for candidate in (full, *all_aliases):
            if candidate in self.entries or candidate in self.aliases:
                existing = self.resolve_entry(candidate)
                raise PluginError(
                    f"{source}: {self.kind} {candidate!r} is already registered by "
                    f"{existing.source}"
                )
        # The class learns the name it is known by (used in verdicts and reports). A class
        # registered twice under different names keeps its first name.
        if not cls.__dict__.get("plugin_name"):
            cls.plugin_name = full
        entry = Entry(self.kind, full, cls, source, all_aliases)
        self.entries[full] = entry
        for alias in all_aliases:
            self.aliases[alias] = full
        return entry

    def _qualify(self, name: str, namespace: str | None, source: str) -> str:
        if not isinstance(name, str) or not name or name.strip() != name:
            raise PluginError(f"{source}: invalid plugin name {name!r}")
        if namespace is None:  # a built-in
            return name
        if "/" in name:
            raise PluginError(
                f"{source}: {self.kind} name {name!r} contains '/'; register a plain name and "
                f"distil adds the namespace ({namespace}/<name>)")
        return f"{namespace}/{name}"

    def names(self) -> list[str]:
        return sorted([*self.entries, *self.aliases])

    def resolve_entry(self, name: str) -> Entry:
        key = self.aliases.get(name, name)
        try:
            return self.entries[key]
        except KeyError:
            raise UnknownPluginError(self.kind, name, self.names()) from None

    def get(self, name: str) -> type[Plugin]:
        return self.resolve_entry(name).cls

    def __contains__(self, name: str) -> bool:
        return name in self.entries or name in self.aliases


def empty_registry(kind: str) -> Registry:
    from distil.kinds import KINDS  # the base classes import pydantic: only when names are added

    return Registry(kind, KINDS[kind])
