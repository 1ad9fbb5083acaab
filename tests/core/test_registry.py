"""The registry: type checks, collisions, namespaces, did-you-mean, discovery channels."""

import textwrap

import pytest

from distil.errors import PluginError, UnknownPluginError
from distil.kinds import Constraint, Metric
from distil.plugins import PluginHost
from distil.registry import Registry
from distil.types import Verdict


class Always(Constraint):
    def check(self, output, doc=None):
        return Verdict(self.name, True)


def test_refuses_a_class_of_the_wrong_kind():
    reg = Registry("constraint", Constraint)
    with pytest.raises(PluginError, match="must be a subclass"):
        reg.add("m", Metric, source="test", namespace=None)


def test_refuses_collisions_including_aliases():
    reg = Registry("constraint", Constraint)
    reg.add("always", Always, source="a", namespace=None, aliases=("yes",))
    with pytest.raises(PluginError, match="already registered by a"):
        reg.add("always", Always, source="b", namespace=None)
    with pytest.raises(PluginError, match="'yes' is already registered"):
        reg.add("other", Always, source="b", namespace=None, aliases=("yes",))


def test_namespaces_third_party_names_and_refuses_a_slash_in_them():
    reg = Registry("constraint", Constraint)
    assert reg.add("x", Always, source="s", namespace="pkg").name == "pkg/x"
    with pytest.raises(PluginError, match=r"s: constraint name 'other/y' contains '/'"):
        reg.add("other/y", Always, source="s", namespace="pkg")
    with pytest.raises(PluginError, match="contains '/'"):
        reg.add("z", Always, source="s", namespace="pkg", aliases=("openai/z",))
    assert reg.add("ifeval/x", Always, source="builtin:b", namespace=None).name == "ifeval/x"


SQUATTER = '''
from distil.hookspecs import hookimpl
from distil.kinds import Model
from distil.types import Completion

{namespace}

class Squatter(Model):
    """Answers for someone else's model."""
    async def complete(self, messages, params=None):
        return Completion(text="not openai")

@hookimpl
def register_models(register):
    register({name!r}, Squatter)
'''


def _model_for(host, text):
    from distil.recipe.resolve import parse_model_string

    name, params = parse_model_string(text, host)
    return host.get("model", name), params


def test_a_plugin_cannot_register_a_providers_model_name(tmp_path):
    (tmp_path / "squat.py").write_text(SQUATTER.format(namespace="", name="openai/gpt-4.1-mini"))
    with pytest.raises(PluginError, match=r"squat\.py: model name 'openai/gpt-4.1-mini' "
                                          r"contains '/'"):
        PluginHost([tmp_path])
    cls, params = _model_for(PluginHost(), "openai/gpt-4.1-mini")
    assert cls.__module__ == "distil_builtin.models.openai_api"
    assert params == {"model": "gpt-4.1-mini"}


@pytest.mark.parametrize("stem, namespace", [
    ("openai", ""),                                 # a plugins-dir file named like a provider
    ("squat", 'DISTIL_NAMESPACE = "openai"'),       # a module choosing a provider's namespace
    ("squat", 'DISTIL_NAMESPACE = "char_count"'),   # or a built-in constraint's name
    ("squat", 'DISTIL_NAMESPACE = "ifeval"'),       # or the first part of built-in names
])
def test_a_plugin_cannot_take_a_builtin_name_as_its_namespace(tmp_path, stem, namespace):
    (tmp_path / f"{stem}.py").write_text(SQUATTER.format(namespace=namespace, name="gpt-4.1-mini"))
    with pytest.raises(PluginError, match="belongs to distil's built-in plugins"):
        PluginHost([tmp_path])


def test_a_namespace_with_a_slash_is_refused(tmp_path):
    (tmp_path / "squat.py").write_text(
        SQUATTER.format(namespace='DISTIL_NAMESPACE = "openai/x"', name="m"))
    with pytest.raises(PluginError, match="invalid plugin namespace 'openai/x'"):
        PluginHost([tmp_path])


def test_a_third_party_provider_is_named_under_its_namespace(tmp_path):
    (tmp_path / "squat.py").write_text(SQUATTER.format(namespace="", name="echo"))
    host = PluginHost([tmp_path])
    cls, params = _model_for(host, "squat/echo/some-model")
    assert cls.plugin_name == "squat/echo" and params == {"model": "some-model"}
    assert _model_for(host, "openai/gpt-4.1-mini")[0].__module__.startswith("distil_builtin.")


def test_unknown_name_suggests_near_names():
    reg = Registry("constraint", Constraint)
    reg.add("char_count", Always, source="s", namespace=None)
    with pytest.raises(UnknownPluginError, match="did you mean 'char_count'"):
        reg.get("char_cont")


def test_builtins_arrive_through_the_entry_point_group():
    host = PluginHost()
    entry = host.registry("strategy").resolve_entry("refine")
    assert entry.source == "builtin:builtin_strategies"
    assert host.registry("model").resolve_entry("scripted").source.startswith("builtin:")


def test_plugins_dir_files_are_namespaced_by_file_name(tmp_path):
    (tmp_path / "shouty.py").write_text(textwrap.dedent('''
        from distil.hookspecs import hookimpl
        from distil.kinds import Constraint
        from distil.types import Verdict

        class Upper(Constraint):
            """Output must be upper case."""
            def check(self, output, doc=None):
                ok = output == output.upper()
                return Verdict(self.name, ok, {}, 0 if ok else 1,
                               None if ok else "Write it in capitals.")

        @hookimpl
        def register_constraints(register):
            register("upper", Upper)
    '''))
    host = PluginHost([tmp_path])
    entry = host.registry("constraint").resolve_entry("shouty/upper")
    assert entry.source == f"plugins-dir:{tmp_path / 'shouty.py'}"
    verdict = entry.cls().check("quiet")
    assert not verdict.passed and verdict.constraint == "shouty/upper"


def test_broken_plugin_file_names_itself(tmp_path):
    (tmp_path / "broken.py").write_text("import no_such_module_anywhere\n")
    with pytest.raises(PluginError, match=r"broken\.py: plugin failed to import"):
        PluginHost([tmp_path])


def test_allow_list_env_var_limits_entry_points(monkeypatch):
    monkeypatch.setenv("DISTIL_PLUGINS", "builtin_strategies")
    host = PluginHost()
    assert "refine" in host.registry("strategy")
    assert "scripted" not in host.registry("model")
