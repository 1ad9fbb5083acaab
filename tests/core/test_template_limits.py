"""The template sandbox bounds output size, range length, the values it builds and its time.

Before, `{{ ('a' * 10**10)|length }}` gave a MemoryError traceback and
`{{ range(10**9)|list }}` an OverflowError traceback, with no file, line or field.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distil import templating
from distil.templating import (
    MAX_OUTPUT_CHARS,
    TemplateRenderError,
    render,
)
from tests.core.clihelp import distil

RECIPE = """\
name: t
corpus:
  inline: {{documents: ["One short text."]}}
prompt:
  system: |
    You answer briefly.
    {system}
  user: "{user}"
constraints:
  - char_count:
      max: 50
      feedback: {{over: "{feedback}"}}
teacher:
  model: {{scripted: {{outputs: ["ok"]}}}}
"""

CASES = {
    # name: (where the template goes, template, line, field, message fragment)
    "repeat in user": ("user", "{{ ('a' * 10**10)|length }}", 8, "prompt.user",
                       "a repeated value would hold 10,000,000,000"),
    "range in user": ("user", "{{ range(10**9)|list }}", 8, "prompt.user",
                      "range() of 1,000,000,000 items"),
    "repeat in system": ("system", "{{ ('a' * 10**10)|length }}", 5, "prompt.system",
                         "(line 2 of the template)"),
    "range in feedback": ("feedback", "{{ range(10**9)|list }}", 12,
                          "constraints[0].char_count.feedback.over",
                          "range() of 1,000,000,000 items"),
}


def recipe_with(where: str, template: str) -> str:
    values = {"system": "", "user": "{{ doc.text }}", "feedback": "Shorter, please."}
    values[where] = template
    return RECIPE.format(**values)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_template_past_a_limit_is_one_line_naming_file_line_and_field(tmp_path, case):
    where, template, line, field, fragment = CASES[case]
    (tmp_path / "r.yaml").write_text(recipe_with(where, template))
    for command in (("validate", "r.yaml"), ("run", "r.yaml")):
        out = distil(*command, cwd=tmp_path)
        assert out.returncode == 2, (command, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
        assert lines[0].startswith(f"error: r.yaml:{line}: {field}: template error: "), lines[0]
        assert fragment in lines[0]
    assert not (tmp_path / "runs").exists()


def test_the_good_recipe_is_valid(tmp_path):
    (tmp_path / "r.yaml").write_text(recipe_with("system", "{{ range(3)|join(',') }}"))
    out = distil("validate", "r.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr


# name: (template, what the error says); "would hold" means it was refused before being built
REFUSED = {
    "repeat": ("{{ 'a' * 10**10 }}", "a repeated value would hold 10,000,000,000"),
    "power": ("{{ 10 ** (10 ** 10) }}", "10 ** 10000000000 is too large a number"),
    "range": ("{{ range(10**6)|list|length }}", "range() of 1,000,000 items"),
    "center filter": ("{{ 'a'|center(10**10) }}", "the result of `center` would hold"),
    "ljust method": ("{{ 'a'.ljust(10**10) }}", "the result of `ljust` would hold"),
    "format method": ("{{ '{:>9999999999}'.format(1) }}", "a formatted value would hold"),
    "format filter": ("{{ '%9999999999d'|format(1) }}", "a formatted value would hold"),
    "percent": ("{{ '%9999999999d' % 1 }}", "a formatted value would hold"),
    "replace": ("{{ ('a' * 100000)|replace('', 'b' * 1000) }}",
                "the result of `replace` would hold 100,101,000"),
    "join filter": ("{{ range(100000)|join('x' * 1000) }}", "the joined text would hold"),
    "join lazy": ("{{ range(20000)|map('string')|join('x' * 1000) }}",
                  "the joined text would hold"),
    "join method": ("{{ ('x' * 1000).join(range(20000)|map('string')) }}",
                    "the joined text would hold"),
    "batch": ("{{ [1]|batch(10**9, 0)|list }}", "the result of `batch` would hold"),
    "slice": ("{{ [1]|slice(10**8)|list }}", "the result of `slice` would hold"),
    "expandtabs": ("{{ ('\\t' * 1000).expandtabs(100000) }}",
                   "the result of `expandtabs` would hold 100,001,000"),
    "concatenation": ("{{ ('a' * 1500000) + ('a' * 1500000) }}", "a value holds 3,000,000"),
    "indent": ("{{ ('a\\n' * 100000)|indent(1000) }}", "the result of `indent` would hold"),
    "tojson": ("{{ {'a': [1, 2]}|tojson(indent=10**8) }}", "the result of `tojson` would hold"),
    "wordwrap": ("{{ ('a' * 100000)|wordwrap(1, wrapstring='y' * 1000) }}",
                 "the result of `wordwrap` would hold"),
    "doubling namespace": (("{% set ns = namespace(s='a') %}{% for i in range(60) %}"
                            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"),
                           "`s` holds 2,097,152"),
    "output": ("{% for i in range(1000) %}{{ 'x' * 2000 }}{% endfor %}",
               "the rendered text is longer than 1,000,000 characters"),
    "no lipsum": ("{{ lipsum(10**9) }}", "'lipsum' is undefined"),
    "recursion": ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recursion too deep"),
    "division": ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
    "sandbox": ("{{ ().__class__.__bases__ }}", "access to attribute '__class__'"),
}


@pytest.mark.parametrize("template,fragment", list(REFUSED.values()), ids=list(REFUSED))
def test_each_limit_is_a_template_render_error(template, fragment):
    started = time.perf_counter()
    with pytest.raises(TemplateRenderError) as info:
        render(template, {})
    assert fragment in str(info.value)
    assert time.perf_counter() - started < 1.5


@pytest.mark.parametrize("template", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",  # loops with no output or call
])
def test_rendering_time_is_bounded(monkeypatch, template):
    monkeypatch.setattr(templating, "RENDER_SECONDS", 0.3)
    started = time.perf_counter()
    with pytest.raises(TemplateRenderError, match="rendering took more than 0.3 s"):
        render(template, {"s": "x" * 100_000})
    assert time.perf_counter() - started < 2


def test_ordinary_templates_still_render():
    template = ("{% for i in range(3) %}{{ loop.index }}/{{ loop.length }} {% endfor %}"
                "{% for k, v in d|dictsort %}{{ k }}={{ v }}{% else %}none{% endfor %} "
                "{{ '{:>5}'.format(7) }} {{ '%05d'|format(42) }} {{ 'ab' * 3 }} {{ 2 ** 10 }} "
                "{{ xs|join(', ') }} {{ 'a b'|replace(' ', '-') }} {{ 'x'|center(5) }}|")
    out = render(template, {"d": {"b": 2, "a": 1}, "xs": ["p", "q"]})
    assert out == "1/3 2/3 3/3 a=1b=2     7 00042 ababab 1024 p, q a-b   x  |"


def test_the_output_limit_is_exact():
    assert len(render("{{ 'x' * n }}", {"n": MAX_OUTPUT_CHARS})) == MAX_OUTPUT_CHARS
    with pytest.raises(TemplateRenderError, match="longer than 1,000,000 characters"):
        render("{{ 'x' * n }}", {"n": MAX_OUTPUT_CHARS + 1})


ATOMS = st.sampled_from(["'ab'", "'x'", "3", "10", "1000", "99999", "10**6", "[1, 2]", "s",
                         "range(5)", "range(10**6)", "(s * 7)"])
OPS = st.sampled_from([" * ", " ** ", " ~ ", " + ", " % "])
FILTERS = st.sampled_from(["", "|list", "|string", "|center(10**8)", "|join('--')",
                           "|replace('a', 'bbbbbbbbbb')", "|batch(10**7, 0)|list",
                           "|indent(10**5)", "|length", "|wordwrap(1, wrapstring='yy' * 9999)",
                           "|format(1)", "|tojson(indent=10**6)"])


@st.composite
def expressions(draw, depth=0):
    if depth > 2 or draw(st.booleans()):
        return draw(ATOMS) + draw(FILTERS)
    return "(" + draw(expressions(depth + 1)) + draw(OPS) + draw(expressions(depth + 1)) + ")"


@settings(max_examples=250, deadline=None)
@given(expressions())
def test_any_expression_renders_within_limits_or_fails_as_one_error(expression):
    started = time.perf_counter()
    try:
        out = render("{{ " + expression + " }}", {"s": "abc" * 1000})
    except TemplateRenderError as exc:
        assert "\n" not in str(exc)
    else:
        assert len(out) <= MAX_OUTPUT_CHARS
    # the deadline is checked between steps, and a step is bounded by the size limit
    assert time.perf_counter() - started < templating.RENDER_SECONDS + 2
