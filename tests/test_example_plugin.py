"""The example third-party package (examples/distil-example-constraint), found as a user would.

It must be installed (`pip install -e ./examples/distil-example-constraint`); distil then finds
it through the `distil` entry-point group and namespaces its names by the entry-point name.
"""

from __future__ import annotations

import importlib.metadata

import pytest

from distil.plugins import PluginHost


@pytest.fixture(scope="module")
def host() -> PluginHost:
    try:
        importlib.metadata.distribution("distil-example-constraint")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("install the example: pip install -e ./examples/distil-example-constraint")
    return PluginHost()


def test_found_through_its_entry_point_under_a_namespaced_name(host):
    entry = host.registry("constraint").resolve_entry("example/ends_with")
    assert entry.source == "entrypoint:distil-example-constraint:example"
    assert "ends_with" not in host.registry("constraint")  # never a bare name


def test_passing_and_failing_outputs(host):
    from distil.testing import registered

    cls = registered("constraint", "example/ends_with")  # a fresh host, as the page shows
    assert cls is host.get("constraint", "example/ends_with")
    constraint = cls.model_validate({"endings": ["。", "！"]})
    passed = constraint.check("今日は晴れです。\n")
    assert passed.passed and passed.constraint == "example/ends_with"
    assert constraint.check("か\u3099んばる！").passed
    failed = constraint.check("今日は晴れです")
    assert not failed.passed and failed.distance == 1
    assert failed.feedback == "End the text with “。” or “！”; it now ends with “今日は晴れです”."
    assert not cls.model_validate({"endings": ["。"], "strip": False}).check("終わり。\n").passed


def test_properties():
    from distil.testing import check_constraint_properties
    from distil_example_constraint import EndsWith

    check_constraint_properties(EndsWith, [{"endings": ["。", "！"]}, {"endings": ["?"], "strip": False}])


def test_a_tail_with_line_breaks_stays_on_one_line_of_feedback(host):
    constraint = host.get("constraint", "example/ends_with").model_validate({"endings": ["。"]})
    failed = constraint.check("一行目\r\n二行目")
    assert failed.measured["tail"] == "一行目\r\n二行目"
    assert failed.feedback == "End the text with “。”; it now ends with “一行目⏎二行目”."


def test_the_page_shows_the_example_as_it_is():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "writing-a-constraint.md").read_text(encoding="utf-8")
    package = root / "examples" / "distil-example-constraint" / "src" / "distil_example_constraint"
    for name in ("ends_with.py", "__init__.py"):
        code = (package / name).read_text(encoding="utf-8")
        assert f"```python\n{code}```" in page, f"docs/writing-a-constraint.md shows another {name}"
    this = Path(__file__).read_text(encoding="utf-8")
    shown = page.split("def test_properties():", 1)[1].split("```", 1)[0]
    assert shown.strip() in this  # the property test on the page is the one run here
