"""The hooks a distil plugin implements.

Hooks are grouped in the order a run uses them. Each registration hook receives a `register`
callback (typed by `Register`): the host, not the plugin, owns names, aliases and collisions.
Call it once per class::

    register(name, PluginClass, aliases=("other-name",))

A plugin module implements any subset with `@distil.hookimpl`. The full story, with an example
for each hook, is in docs/plugins.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

import pluggy

if TYPE_CHECKING:
    import click

    from distil.kinds import Constraint, Corpus, Metric, Model, Plugin, Reporter, Strategy, Trainer
    from distil.registry import Entry

hookspec = pluggy.HookspecMarker("distil")
hookimpl = pluggy.HookimplMarker("distil")

_Kind = TypeVar("_Kind", bound="Plugin", contravariant=True)


class Register(Protocol[_Kind]):
    """The callback a registration hook receives: `register(name, cls, aliases=())`.

    `name` is a plain name (no `/`: the host adds the plugin's namespace); `cls` must subclass
    the hook's kind (`Register[Constraint]` takes Constraint subclasses). It returns the
    registry entry, with the full name the plugin is known by, and raises
    `distil.errors.PluginError` for a name already taken or a class of the wrong kind.
    """

    def __call__(self, name: str, cls: type[_Kind], aliases: Iterable[str] = ()) -> Entry: ...


# -- inputs ---------------------------------------------------------------------------------
@hookspec
def register_corpora(register: Register[Corpus]) -> None:
    """Register Corpus subclasses: sources of documents (jsonl, livedoor, ...)."""


@hookspec
def register_constraints(register: Register[Constraint]) -> None:
    """Register Constraint subclasses: checks of one output (char_count, bullets, ...)."""


# -- generation -----------------------------------------------------------------------------
@hookspec
def register_models(register: Register[Model]) -> None:
    """Register Model subclasses: chat completion providers (local, openai, litellm, ...)."""


@hookspec
def register_strategies(register: Register[Strategy]) -> None:
    """Register Strategy subclasses: how a teacher reaches an accepted output (single, refine)."""


# -- students ---------------------------------------------------------------------------------
@hookspec
def register_trainers(register: Register[Trainer]) -> None:
    """Register Trainer subclasses: turn a dataset into a student model."""


# -- evaluation and reporting -----------------------------------------------------------------
@hookspec
def register_metrics(register: Register[Metric]) -> None:
    """Register Metric subclasses: figures over evaluation records (length_stats, pass_rate)."""


@hookspec
def register_reporters(register: Register[Reporter]) -> None:
    """Register Reporter subclasses: renderings of results (markdown, json)."""


# -- command line -------------------------------------------------------------------------------
@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands to the `distil` group: `cli` is the click.Group."""
