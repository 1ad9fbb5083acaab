"""Jinja2 rendering in a sandbox, for prompts and feedback sentences.

Recipes come from people and from the internet; a template must not reach Python internals,
and it must not take the machine down either. `ImmutableSandboxedEnvironment` refuses attribute
tricks and mutation, and `StrictUndefined` turns a misspelt variable into an error instead of an
empty string. `BoundedSandbox` adds limits on what one rendering may cost:

- `range()` gives at most `MAX_RANGE` items;
- a rendered template is at most `MAX_OUTPUT_CHARS` characters;
- no value a template builds (by an operator, a filter or a call) holds more than
  `MAX_VALUE_SIZE` characters or items: the operations that multiply sizes (`*`, `**`, `%`,
  padding, `replace`, `join`, `batch`, ...) are sized before they run, so the oversized value is
  never built;
- one rendering takes at most `RENDER_SECONDS`, checked at every loop step, call, attribute
  read, operator and output chunk.

Any failure while rendering becomes a `TemplateRenderError` (a UsageError) naming the
template's own line, so callers add the file, line and field of the recipe.
"""

from __future__ import annotations

import contextvars
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sized
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, nodes, pass_context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from distil.errors import UsageError

MAX_RANGE = 100_000
MAX_OUTPUT_CHARS = 1_000_000
MAX_VALUE_SIZE = 2_000_000
RENDER_SECONDS = 2.0
MAX_INT_BITS = 100_000  # `**` may build integers of at most this many bits (~30,000 digits)

_TICK_FILTER = "distil:tick"  # not an identifier, so no template can name or replace it
_FORMAT_WIDTH = re.compile(r"[%:][^%{}\s]*?(\d{7,})")  # a 7+ digit width or precision


class TemplateLimitError(SecurityError):
    """A template went past one of the limits above."""


class TemplateRenderError(UsageError):
    """Rendering a template failed; `detail` says why and `template_line` where, if known."""

    def __init__(self, detail: str, template_line: int | None = None) -> None:
        self.detail = detail
        self.template_line = template_line
        where = f" (line {template_line} of the template)" if template_line else ""
        super().__init__(f"template error: {detail}{where}")


# -- the budget of the rendering in progress ------------------------------------------------------
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("distil_render_deadline",
                                                                         default=None)


def _tick() -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise TemplateLimitError(f"rendering took more than {RENDER_SECONDS:g} s (a loop that "
                                 f"runs too long?)")


def _refuse_size(size: int, what: str, verb: str = "would hold") -> None:
    if size > MAX_VALUE_SIZE:
        raise TemplateLimitError(f"{what} {verb} {size:,} characters or items; a template "
                                 f"may build at most {MAX_VALUE_SIZE:,}")


def _bounded(value: Any, what: str = "a value") -> Any:
    """`value`, unless it is already too big (what the checks before could not foresee)."""
    if isinstance(value, (str, bytes, list, tuple, dict)):
        _refuse_size(len(value), what, "holds")
    return value


def _width(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _check_format(fmt: Any) -> None:
    if isinstance(fmt, str):
        match = _FORMAT_WIDTH.search(fmt)
        if match:
            _refuse_size(int(match.group(1)), "a formatted value")


def _size_of(value: Any) -> int:
    return len(value) if isinstance(value, Sized) else 0


def _estimate(name: str, value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """An upper bound on the size of `name(value, *args)` for the operations that amplify.

    `name` is a filter or a str method; anything not listed cannot grow its input much.
    """
    first = args[0] if args else None
    if name in ("center", "ljust", "rjust", "zfill"):
        return _width(kwargs.get("width", first))
    if name == "expandtabs" and isinstance(value, str):
        return len(value) + value.count("\t") * _width(kwargs.get("tabsize", first))
    if name == "indent" and isinstance(value, str):
        width = kwargs.get("width", first)
        width = len(width) if isinstance(width, str) else _width(width)
        return len(value) + (value.count("\n") + 1) * width
    if name == "replace" and isinstance(value, str) and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, str) and isinstance(new, str):
            hits = value.count(old) if old else len(value) + 1
            return len(value) + hits * len(new)
    if name == "wordwrap" and isinstance(value, str):
        width = max(_width(kwargs.get("width", first)) or 79, 1)
        wrap = kwargs.get("wrapstring", args[2] if len(args) > 2 else "\n")
        return len(value) + (len(value) // width + 1) * _size_of(wrap)
    if name in ("batch", "slice"):
        return _width(kwargs.get("linecount", kwargs.get("slices", first)))
    if name == "tojson":
        indent = _width(kwargs.get("indent", first))
        return _size_of(str(value)) * (indent + 1) if indent else 0
    if name in ("format", "format_map"):
        _check_format(value)
    return 0


def _join_estimate(separator: Any, items: list[Any]) -> int:
    return _size_of(separator) * len(items) + sum(_size_of(x) for x in items)


_AMPLIFIERS = frozenset({"center", "indent", "replace", "wordwrap", "batch", "slice", "tojson",
                         "format", "join"})  # the filters that can make much more than they get


def _guard_filter(name: str, function: Any) -> Any:
    """`function` with the deadline checked, sized before (when it amplifies) and after."""
    offset = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0  # context arg
    label = f"the result of `{name}`"
    sized = name in _AMPLIFIERS

    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        if sized and len(args) > offset:
            value, rest = args[offset], args[offset + 1:]
            if name == "join":
                items = list(value)
                separator = kwargs.get("d", rest[0] if rest else "")
                _refuse_size(_join_estimate(separator, items), "the joined text")
                args = (*args[:offset], items, *rest)
            else:
                _refuse_size(_estimate(name, value, rest, kwargs), label)
        return _bounded(function(*args, **kwargs), label)

    for attr in ("jinja_pass_arg", "__name__", "__doc__"):
        if hasattr(function, attr):
            setattr(guarded, attr, getattr(function, attr))
    return guarded


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimitError(f"range() of {len(numbers):,} items; a template may use at "
                                 f"most {MAX_RANGE:,}")
    return numbers


@pass_context
def _ticking(context: Any, iterable: Iterable[Any]) -> Iterator[Any]:
    """What every `{% for %}` loops over: the iterable, with the deadline checked as it goes."""
    for index, item in enumerate(iterable):
        if not index & 255:
            _tick()
        yield item


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the size and time limits of this module."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _bounded_range
        self.globals.pop("lipsum", None)  # lipsum(n) loops n times in Python, unchecked
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        self.filters[_TICK_FILTER] = _ticking

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "*":
            seq, times = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(times, int) and isinstance(seq, (str, bytes, list, tuple)):
                _refuse_size(len(seq) * max(times, 0), "a repeated value")
        elif operator == "**":
            if (isinstance(left, int) and isinstance(right, int) and abs(left) > 1
                    and right > 0 and right * math.log2(abs(left)) > MAX_INT_BITS):
                raise TemplateLimitError(f"{left} ** {right} is too large a number")
        elif operator == "%":
            _check_format(left)
        return _bounded(super().call_binop(context, operator, left, right))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _tick()
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if isinstance(owner, str):
            if name == "join" and args:
                items = list(args[0])
                _refuse_size(_join_estimate(owner, items), "the joined text")
                args = (items, *args[1:])
            else:
                _refuse_size(_estimate(name, owner, args, kwargs), f"the result of `{name}`")
        for value in (*args, *kwargs.values()):
            _bounded(value, "an argument")
        return _bounded(super().call(context, obj, *args, **kwargs), "the result of a call")

    def wrap_str_format(self, value: Any) -> Any:
        """`str.format` and `format_map` reach templates only through here: check widths."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(value.__self__)
        return wrapped

    # Reads are sized too: a namespace attribute is how a loop could grow a value.
    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return _bounded(super().getattr(obj, attribute), f"`{attribute}`")

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return _bounded(super().getitem(obj, argument), "an item")


_ENV = BoundedSandbox(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
BUILTIN_NAMES = frozenset(_ENV.globals)  # what every template sees besides its context


def _with_ticking_loops(ast: nodes.Template) -> nodes.Template:
    for loop in ast.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _TICK_FILTER, [], [], None, None,
                                 lineno=loop.iter.lineno)
    return ast


@lru_cache(maxsize=512)
def _compile(template: str) -> Template:
    ast = _with_ticking_loops(_ENV.parse(template))
    return Template.from_code(_ENV, _ENV.compile(ast), _ENV.make_globals(None), None)


def check_template(template: str) -> nodes.Template:
    """The parsed `template`; jinja2.TemplateSyntaxError when it does not parse."""
    return _ENV.parse(template)


def _template_line(exc: BaseException) -> int | None:
    """The template line an error was raised on (Jinja rewrites tracebacks to show it)."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TemplateError):
        return exc.message or type(exc).__name__
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, RecursionError):
        return "recursion too deep"
    return f"{type(exc).__name__}: {exc}"


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render `template` with `context` within the limits; failures are TemplateRenderErrors."""
    token = _DEADLINE.set(time.monotonic() + RENDER_SECONDS)
    try:
        compiled = _compile(template)
        pieces: list[str] = []
        size = 0
        for piece in compiled.generate(**context):
            size += len(piece)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateLimitError(f"the rendered text is longer than "
                                         f"{MAX_OUTPUT_CHARS:,} characters")
            _tick()
            pieces.append(piece)
        return "".join(pieces)
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 (a template is the user's code: what it raises is theirs)
        line = _template_line(exc) if "\n" in template.strip() else None
        raise TemplateRenderError(_describe(exc), line) from None
    finally:
        _DEADLINE.reset(token)


def _fmt_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 2)
    return value


def render_feedback(template: str, values: Mapping[str, Any]) -> str:
    """Render a feedback sentence; whole floats print as integers ("12", not "12.0")."""
    return render(template, {k: _fmt_number(v) for k, v in values.items()}).strip()
