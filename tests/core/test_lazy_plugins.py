"""Start-up is lazy: `distil --help` imports no command module and no plugin, a built-in name
is found without the other plugins, and the registry's rules hold however late names load."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import click
import pytest

from distil.cli.app import COMMANDS, cli
from distil.errors import UnknownPluginError
from distil.plugins import PluginHost

PROBE = ("import sys\n{code}\n"
         "print(' '.join(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))")


def imported_after(code: str, *prefixes: str) -> set[str]:
    """The modules starting with one of `prefixes` that a fresh interpreter holds after `code`."""
    out = subprocess.run([sys.executable, "-c", PROBE.format(code=code, prefixes=prefixes)],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_help_imports_no_command_plugin_or_pydantic():
    code = ("import contextlib, io\nfrom distil.cli import main\nsys.argv = ['distil', '--help']\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main()\n    except SystemExit:\n        pass")
    loaded = imported_after(code, "distil.cli.", "distil_", "distil.kinds", "pydantic", "openai")
    assert loaded == {"distil.cli.app"}


def test_a_builtin_constraint_loads_only_its_own_plugin():
    loaded = imported_after("from distil.plugins import PluginHost\n"
                            "PluginHost().get('constraint', 'char_count')",
                            "distil_", "openai", "litellm")
    assert "distil_builtin.constraints.char_count" in loaded
    # entry-point modules are small; the IFEval pack's checks and the models are not imported
    assert not {m for m in loaded if m.startswith(("distil_ifeval.en", "distil_ifeval.ja",
                                                   "distil_builtin.models.", "distil_example",
                                                   "openai", "litellm"))}


def test_the_summaries_in_help_are_the_commands_own():
    ctx = click.Context(cli)
    for name, (module, summary) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.callback.__module__ == module
        assert command.name == name
        assert command.get_short_help_str(limit=300) == summary


def test_help_lists_every_command_and_one_a_plugin_adds():
    group = type(cli)(commands={}, help="x")  # a LazyGroup of its own, so `cli` stays as it is
    group.add_command(click.Command("extra", help="Added by a plugin."))
    text = group.get_help(click.Context(group))
    for name, (_, summary) in COMMANDS.items():
        assert f"  {name} " in text
    assert "extra" in text and "Added by a plugin." in text


def test_no_builtin_entry_point_adds_commands():
    """register_commands skips distil's own entry points; this is why that loses nothing."""
    host = PluginHost()
    host.load_all()
    builtins = [impl for impl in host.pm.hook.register_commands.get_hookimpls()
                if host._origin[id(impl.plugin)][2]]
    assert builtins == []


COMMAND_PLUGIN = '''
from distil.hookspecs import hookimpl
import click

@hookimpl
def register_commands(cli):
    cli.add_command(click.Command("hello", help="Say hello."))
'''


def entry_point(name: str, module: str):
    import importlib.metadata

    return importlib.metadata.EntryPoint(name, module, "distil")


@pytest.mark.parametrize("source, imported", [(COMMAND_PLUGIN, True),
                                              ("X = 1  # adds no command\n", False)])
def test_a_third_party_module_is_imported_for_commands_only_when_it_names_the_hook(
        tmp_path, monkeypatch, source, imported):
    module = f"cmdplug_{imported}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    host = PluginHost(entry_points=False)
    host._pending = [(entry_point("cmdplug", module), False)]
    group = click.Group()
    host.register_commands(group)
    assert (module in sys.modules) == imported
    assert ("hello" in group.commands) == imported
    sys.modules.pop(module, None)


def test_unknown_names_still_get_did_you_mean_and_the_full_list():
    host = PluginHost()
    with pytest.raises(UnknownPluginError, match="did you mean 'char_count'"):
        host.get("constraint", "char_cont")
    assert "example/ends_with" in host.registry("constraint")  # third-party names loaded too


def test_a_late_third_party_kind_still_meets_the_namespace_rule(tmp_path, monkeypatch):
    """A third-party entry point named like a built-in constraint is refused even when the
    first name asked for is a strategy (the rule needs every built-in of every kind)."""
    from distil.errors import PluginError

    (tmp_path / "squatmod.py").write_text(textwrap.dedent('''
        from distil.hookspecs import hookimpl
        from distil_builtin.strategies.single import Single

        @hookimpl
        def register_strategies(register):
            register("mine", Single)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    host = PluginHost()
    host._pending.append((entry_point("char_count", "squatmod"), False))
    with pytest.raises(PluginError, match="belongs to distil's built-in plugins"):
        host.registry("strategy")
    sys.modules.pop("squatmod", None)


def test_a_run_imports_only_the_plugins_its_recipe_names(tmp_path):
    """Opening a run directory records the third-party plugin packages' versions from their
    metadata; it imports none of the plugins the recipe does not use (the IFEval pack, the
    trainers, the example constraint)."""
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": "a", "text": "one two three"}\n', encoding="utf-8")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: lazy-run
        corpus: {{jsonl: {{path: {docs}}}}}
        prompt: {{user: "{{{{ doc.text }}}}"}}
        constraints: [{{word_count: {{max: 5}}}}]
        teacher: {{model: {{scripted: {{outputs: ["one two"]}}}}, strategy: single}}
        """), encoding="utf-8")
    run_dir = tmp_path / "run"
    code = ("import contextlib, io\nfrom distil.cli import main\n"
            f"sys.argv = ['distil', 'run', {str(recipe)!r}, '--run-dir', {str(run_dir)!r}, "
            "'--no-progress']\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main()\n    except SystemExit as exc:\n"
            "        assert exc.code == 0, exc.code")
    loaded = imported_after(code, "distil_")
    assert not {m for m in loaded if m.startswith(("distil_ifeval.en", "distil_ifeval.ja",
                                                   "distil_builtin.trainers.",
                                                   "distil_example"))}, loaded
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["plugins"] == {"distil-example-constraint": "0.1.0"}
