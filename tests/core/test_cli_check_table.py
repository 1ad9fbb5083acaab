"""`distil check`: one table line per constraint whatever the text holds, and one type for
`distance` in every verdict."""

import json

from distil.plugins import get_host
from tests.core.clihelp import distil

FORBIDDEN = """\
constraints:
  - regex: {pattern: "end\\\\.\\\\nNext", must: not_match}
  - char_count: {target: 100, tolerance: 0.05}
"""


def test_a_match_with_a_line_break_stays_on_its_table_line(tmp_path):
    (tmp_path / "c.yaml").write_text(FORBIDDEN)
    out = distil("check", "c.yaml", cwd=tmp_path, stdin="The end.\nNext line.")
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    regex_line = next(line for line in lines if line.startswith("FAIL  regex"))
    assert "match='end.\\nNext'" in regex_line  # escaped, quoted, on the same line
    assert "must=not_match" in regex_line       # a plain word stays unquoted
    # every line is a verdict line or an indented feedback line: nothing spilled over
    assert all(line.startswith(("PASS  ", "FAIL  ", "      ")) for line in lines), lines


def test_long_text_figures_are_cut_short(tmp_path):
    (tmp_path / "c.yaml").write_text('constraints:\n  - regex: {pattern: "a+", must: not_match}\n')
    out = distil("check", "c.yaml", cwd=tmp_path, stdin="a" * 500)
    assert out.returncode == 1
    first = out.stdout.splitlines()[0]
    assert "match=" + "a" * 39 + "…" in first and "a" * 41 not in first  # a plain word, cut


def test_distance_is_a_float_on_pass_and_on_fail(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "constraints:\n  - char_count: {min: 1, max: 5}\n  - bullets: {count: 3}\n"
        "  - json_schema: {schema: {type: object}}\n")
    passing = distil("check", "c.yaml", "--json", cwd=tmp_path, stdin="- a\n- b\n- c")
    failing = distil("check", "c.yaml", "--json", cwd=tmp_path, stdin="far too long, no bullets")
    results = [*json.loads(passing.stdout)["results"], *json.loads(failing.stdout)["results"]]
    assert {r["passed"] for r in results} == {True, False}
    for r in results:
        assert type(r["distance"]) is float, r  # JSON 7.0, never 7
    assert '"distance": 19.0' in failing.stdout  # 24 characters, 19 over


def test_every_builtin_constraint_verdict_has_a_float_distance():
    host = get_host()
    samples = {"char_count": {"max": 3}, "line_count": {"count": 2}, "bullets": {"count": 2},
               "word_count": {"max": 1}, "sentence_count": {"max": 1},
               "regex": {"pattern": "x", "must": "not_match"}, "x_post": {"max": 2}}
    for name, params in samples.items():
        constraint = host.get("constraint", name).model_validate(params)
        for text in ("x x x. y y y.", "ok"):
            verdict = constraint.check(text)
            assert type(verdict.distance) is float, (name, text, verdict)
