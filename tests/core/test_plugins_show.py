"""`distil plugins`: whole first sentences in the listing; `distil plugins NAME` prints a
plugin's options from its pydantic model, for every kind."""

import json

import pytest

from distil.cli.plugins_cmd import options, type_text
from distil.plugins import get_host
from distil.registry import first_sentence
from tests.core.clihelp import distil


def test_the_first_sentence_is_whole_even_across_lines():
    doc = """n independent candidates in parallel; keep the first that passes (in order),
    or with `keep: closest` the one with the smallest total distance.

    More detail that is not part of the listing.
    """
    assert first_sentence(doc) == ("n independent candidates in parallel; keep the first that "
                                   "passes (in order), or with `keep: closest` the one with the "
                                   "smallest total distance.")
    assert first_sentence("Ask once. Then stop.") == "Ask once."
    assert first_sentence("Sends params, e.g. `{x: 1}`. Done.") == "Sends params, e.g. `{x: 1}`."
    assert first_sentence("") == ""


def test_the_listing_never_cuts_a_description_mid_sentence():
    out = distil("plugins", "--kind", "strategy")
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.split()[0] == "best_of_n")
    assert line.rstrip().endswith("the one with the smallest total distance.")
    data = json.loads(distil("plugins", "--json").stdout)
    for entry in data:  # every description is a whole sentence or empty
        text = entry["description"]
        assert not text or text.endswith((".", "!", "?", ")", "…", "...")), entry


def test_plugins_name_prints_each_option_with_type_default_and_description():
    out = distil("plugins", "refine")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.splitlines()[0].startswith("strategy refine  builtin:")
    assert "  max_rounds: int, default 3" in text
    assert "  history: 'full' | 'last', default \"full\"" in text
    assert "  restart_params: dict[str, Any], default {}" in text
    assert "Requests per conversation, the first answer included." in text


def test_a_name_two_kinds_use_shows_both_unless_kind_picks_one():
    both = distil("plugins", "local", "--json")
    assert both.returncode == 0, both.stderr
    assert {e["kind"] for e in json.loads(both.stdout)} == {"model", "trainer"}
    trainer = distil("plugins", "local", "--kind", "trainer")
    assert trainer.returncode == 0, trainer.stderr
    assert trainer.stdout.startswith("trainer local")
    assert "  serve_params: dict[str, Any], default {}" in trainer.stdout
    assert "  base_model: str, default \"smollm2\"" in trainer.stdout


def test_required_options_and_aliases_are_shown_as_a_recipe_writes_them():
    (schema,) = json.loads(distil("plugins", "json_schema", "--json").stdout)
    names = {o["name"]: o for o in schema["options"]}
    assert "schema" in names and "schema_" not in names  # the alias a recipe writes
    (regex,) = json.loads(distil("plugins", "regex", "--json").stdout)
    pattern = next(o for o in regex["options"] if o["name"] == "pattern")
    assert pattern["required"] is True and pattern["type"] == "str"
    assert "required" in distil("plugins", "regex").stdout.split("pattern:")[1].splitlines()[0]


def test_an_unknown_name_says_did_you_mean():
    out = distil("plugins", "refien")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: no plugin named 'refien'; did you mean 'refine'?"
    out = distil("plugins", "char_count", "--kind", "model")
    assert out.returncode == 2 and "no model plugin named 'char_count'" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("entry", get_host().entries(), ids=lambda e: f"{e.kind}:{e.name}")
def test_every_installed_plugin_of_every_kind_shows_its_options(entry):
    shown = options(entry.cls)
    fields = entry.cls.model_fields
    assert [o["name"] for o in shown] == [f.alias or n for n, f in fields.items()]
    for o, (name, field) in zip(shown, fields.items()):
        assert o["type"] and "typing." not in o["type"], (name, o)
        assert o["description"] == (field.description or "")
        json.dumps(o)  # JSON-ready, defaults included


def test_type_text_reads_like_a_type():
    from typing import Any, Literal

    assert type_text(int | None) == "int | None"
    assert type_text(Literal["a", "b"]) == "'a' | 'b'"
    assert type_text(dict[str, Any]) == "dict[str, Any]"
    assert type_text(list[str] | Literal["all-linear"]) == "list[str] | 'all-linear'"
