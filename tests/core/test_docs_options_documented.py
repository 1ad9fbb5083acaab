"""The pages say what the code does for the options issue 11 found undocumented or misdescribed:
the replay file's fields, the local trainer's `serve_params`, the ifeval replay route,
`schema_file`'s base folder."""

from __future__ import annotations

from pathlib import Path

from distil.plugins import get_host

DOCS = Path(__file__).resolve().parents[2] / "docs"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_every_replay_option_and_file_field_is_on_the_providers_page():
    text = page("providers.md")
    section = text[text.index("### The replay file"):]
    from distil.kinds import Model

    own = set(get_host().get("model", "replay").model_fields) - set(Model.model_fields)
    for option in own - {"model"}:  # `replay/outputs.jsonl` names the file in place of `model`
        assert f"`{option}`" in section, option
    for field in ("`id`", "`output`", "`response`", "`prompt`", "`messages`"):
        assert field in section, field


def test_every_local_trainer_option_is_in_the_students_table():
    text = page("students.md")
    table = text[text.index("| `base_model` | `smollm2`"):]
    table = table[: table.index("\n\n")]
    for option in get_host().get("trainer", "local").model_fields:
        assert f"`{option}`" in table, option


def test_the_pages_no_longer_say_what_is_not_so():
    assert "being wired" not in page("ifeval.md")
    assert "ifeval/replay" in page("ifeval.md")
    row = next(line for line in page("constraints.md").splitlines()
               if line.startswith("| `schema_file` |"))
    assert "folder of the file that holds it" in row
    assert "lists every trainer installed with its options" not in page("students.md")
