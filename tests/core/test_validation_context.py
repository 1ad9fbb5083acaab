"""The recipe's folder and plugin host reach validators through pydantic's validation context.

Nothing is kept in a global: loading a recipe leaves no trace on what is built afterwards, and
a composite constraint builds its children with the context it was given.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from pydantic import ValidationError

from distil.plugins import build_constraint, context_host, get_host
from distil.recipe import load_constraints_file, load_recipe
from distil.validation_context import context_base_dir, plugin_context

SHOUTY = textwrap.dedent('''
    import distil

    class Upper(distil.Constraint):
        """Output must be upper case."""
        default_feedback = {"failed": "Write it in capitals."}

        def check(self, output, doc=None):
            ok = output == output.upper()
            return self.verdict(passed=ok, measured={}, distance=0 if ok else 1)

    @distil.hookimpl
    def register_constraints(register):
        register("upper", Upper)
''')


@pytest.fixture
def recipe_dir(tmp_path):
    """A folder with a plugins directory, a schema file and a constraints file using both."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "shouty.py").write_text(SHOUTY)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "obj.json").write_text(json.dumps({"type": "object"}))
    (tmp_path / "checks.yaml").write_text(textwrap.dedent('''
        plugins: [plugins]
        constraints:
          - all_of:
              constraints:
                - shouty/upper
                - json_schema: {schema_file: schemas/obj.json}
    '''))
    return tmp_path


def test_all_of_children_use_the_recipes_host_and_folder(recipe_dir, monkeypatch, tmp_path_factory):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))  # not the recipe's folder
    (all_of,) = load_constraints_file(recipe_dir / "checks.yaml")
    upper, schema = all_of.constraints
    assert upper.plugin_name == "shouty/upper"
    assert schema.schema_ == {"type": "object"}  # read from the recipe's folder, not the cwd
    assert all_of.check('{"A": 1}').passed
    assert not all_of.check("[1]").passed


def test_a_loaded_recipe_leaves_its_plugins_behind(recipe_dir):
    load_constraints_file(recipe_dir / "checks.yaml")
    # built afterwards without a context: the default host, which has no `shouty` plugins
    all_of = get_host().get("constraint", "all_of")
    with pytest.raises(ValidationError, match="unknown constraint 'shouty/upper'"):
        all_of.model_validate({"constraints": ["shouty/upper"]})


def test_corpus_paths_come_from_the_recipe_folder(tmp_path, monkeypatch, tmp_path_factory):
    (tmp_path / "docs.jsonl").write_text('{"id": "a", "text": "hello"}\n')
    (tmp_path / "recipe.yaml").write_text(textwrap.dedent('''
        name: ctx
        corpus:
          jsonl: {path: docs.jsonl}
        prompt: {user: "{{ doc.text }}"}
        constraints: [{char_count: {max: 10}}]
    '''))
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    recipe = load_recipe(tmp_path / "recipe.yaml")
    assert [d.text for d in recipe.corpus.iter_documents()] == ["hello"]
    assert recipe.corpus.resolve_path("docs.jsonl") == tmp_path / "docs.jsonl"


def test_build_constraint_passes_its_context_down(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps({"type": "array"}))
    context = plugin_context(base_dir=tmp_path)
    spec = {"all_of": {"constraints": [{"all_of": {"constraints": [
        {"json_schema": {"schema_file": "s.json"}}]}}]}}
    nested = build_constraint(spec, context)
    assert nested.check("[1]").passed and not nested.check("{}").passed
    with pytest.raises(ValueError, match="cannot read schema_file"):
        build_constraint(spec)  # no context: relative to the working directory, not tmp_path


def test_context_helpers_read_a_mapping_or_nothing(tmp_path):
    assert context_base_dir(None) is None
    assert context_base_dir({"base_dir": str(tmp_path)}) == tmp_path
    assert context_host(None) is get_host()
    host = object()
    assert context_host({"host": host}) is host


def test_a_plugin_without_a_context_takes_paths_from_the_working_directory(tmp_path):
    cls = get_host().get("corpus", "jsonl")
    assert cls(path="x.jsonl").resolve_path("x.jsonl").as_posix() == "x.jsonl"
    built = cls.model_validate({"path": "x.jsonl"}, context=plugin_context(base_dir=tmp_path))
    assert built.resolve_path("x.jsonl") == tmp_path / "x.jsonl"
    assert built.resolve_path(tmp_path / "abs") == tmp_path / "abs"


def test_the_judge_checks_its_model_against_the_recipes_host(tmp_path):
    from distil.plugins import PluginHost

    (tmp_path / "echoes.py").write_text(textwrap.dedent('''
        import distil

        class Echo(distil.Model):
            """Answers with the prompt."""
            async def complete(self, messages, params=None):
                return distil.Completion(text=messages[-1].content)

        @distil.hookimpl
        def register_models(register):
            register("echo", Echo)
    '''))
    judge = get_host().get("metric", "judge")
    context = plugin_context(host=PluginHost([tmp_path]))
    assert judge.model_validate({"model": "echoes/echo/any"}, context=context).model == \
        "echoes/echo/any"
    with pytest.raises(ValidationError, match="unknown model provider 'echoes'"):
        judge.model_validate({"model": "echoes/echo/any"})  # the default host has no such model
