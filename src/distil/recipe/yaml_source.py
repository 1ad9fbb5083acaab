"""Safe YAML loading that remembers where every key and item came from.

pydantic reports errors by field path (`('teacher', 'model')`); to name the line too we keep
a map from each path to the line of its key in the file. Duplicate keys, which plain YAML
loaders silently resolve to the last one, are an error here.

Recipes come from people and from the internet, so the loader also bounds what a file may cost
before anything is built from it: its size (`MAX_FILE_BYTES`), how many aliases it uses
(`MAX_ALIASES`) and how many nodes those aliases add once expanded (`MAX_ALIAS_NODES`). A
"billion laughs" file of nested aliases is a few hundred bytes that expand to billions of
nodes; it is refused after one linear pass over the file's own nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from distil.errors import RecipeError

PathKey = tuple[Any, ...]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ALIASES = 1_000
MAX_ALIAS_NODES = 10_000  # nodes that aliases may add, beyond those written in the file


@dataclass
class YamlSource:
    path: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    # where relative paths in the file resolve from; None: the file's own folder (a resumed
    # run reads its recipe.yaml copy but resolves paths where the original recipe was)
    base_dir: Path | None = None

    def line_of(self, loc: PathKey) -> int | None:
        """The line of the deepest known prefix of `loc`."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)

    def error(self, loc: PathKey, message: str) -> RecipeError:
        fieldname = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc)
        fieldname = fieldname.replace(".[", "[")
        return RecipeError(message, path=self.path, line=self.line_of(loc), field=fieldname or None)


def _walk(node: yaml.Node, loc: PathKey, lines: dict[PathKey, int], path: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise RecipeError(
                    f"duplicate key {key!r} (first on line {seen[key]})", path=path, line=line,
                    field=".".join(map(str, (*loc, key))),
                )
            seen[key] = line
            lines[(*loc, key)] = line
            _walk(value_node, (*loc, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _walk(item, (*loc, i), lines, path)


def load_yaml(path: str | Path) -> YamlSource:
    """Read `path` safely. Missing files and YAML syntax errors become RecipeErrors."""
    p = Path(path)
    shown = str(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES and p.is_file():
            raise RecipeError(f"{size:,} bytes, more than the {MAX_FILE_BYTES:,} a YAML file "
                              f"may have", path=shown)
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError("file not found", path=shown) from None
    except IsADirectoryError:
        raise RecipeError("is a directory, not a YAML file", path=shown) from None
    except UnicodeDecodeError as exc:
        raise RecipeError(f"not UTF-8 text ({exc.reason}, byte {exc.start})", path=shown) from None
    except ValueError as exc:  # a NUL byte in the path, among others
        raise RecipeError(f"cannot read: {exc}", path=repr(shown)) from None
    except OSError as exc:
        raise RecipeError(f"cannot read: {exc.strerror or exc}", path=shown) from None
    return load_yaml_text(text, shown)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader, counting alias uses as it composes (see MAX_ALIASES)."""

    def __init__(self, stream: str, shown: str) -> None:
        super().__init__(stream)
        self.shown = shown
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                line = self.peek_event().start_mark.line + 1
                raise RecipeError(f"more than {MAX_ALIASES:,} YAML aliases; write the values "
                                  f"out", path=self.shown, line=line)
        return super().compose_node(parent, index)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: yaml.Node, shown: str) -> None:
    """Refuse a node graph whose aliases expand to too many nodes, or that contains itself.

    Aliases make the composed graph share nodes; everything downstream (line map, pydantic,
    the resolved copy) walks it as a tree. Each node's expanded size is computed once, so this
    costs one pass over the nodes actually written, however large the expansion.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise RecipeError("an alias refers to the node that holds it (a recursive "
                              "structure)", path=shown, line=node.start_mark.line + 1)
        active.add(key)
        total = 1 + sum(size(child) for child in _children(node))
        active.discard(key)
        sizes[key] = total
        return total

    added = size(root) - len(sizes)
    if added > MAX_ALIAS_NODES:
        raise RecipeError(f"YAML aliases expand to more than {MAX_ALIAS_NODES:,} extra nodes "
                          f"(an alias bomb?); write the values out", path=shown)


def _unreadable(exc: yaml.reader.ReaderError, shown: str) -> RecipeError:
    char = exc.character
    shown_char = f"U+{char:04X}" if isinstance(char, int) else repr(char)
    return RecipeError(f"invalid YAML: {exc.reason} ({shown_char} at character {exc.position})",
                       path=shown)


def load_yaml_text(text: str, shown: str) -> YamlSource:
    if len(text) > MAX_FILE_BYTES:
        raise RecipeError(f"more than the {MAX_FILE_BYTES:,} bytes a YAML file may have",
                          path=shown)
    try:
        loader = _BoundedLoader(text, shown)  # the reader refuses control characters here
    except yaml.reader.ReaderError as exc:
        raise _unreadable(exc, shown) from None
    try:
        node = loader.get_single_node()
        if node is not None:
            check_expansion(node, shown)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise RecipeError(f"invalid YAML: {problem}", path=shown, line=line) from None
    except yaml.reader.ReaderError as exc:  # found as the stream is read further
        raise _unreadable(exc, shown) from None
    except yaml.YAMLError as exc:
        raise RecipeError(f"invalid YAML: {str(exc).splitlines()[0]}", path=shown) from None
    except RecursionError:
        raise RecipeError("invalid YAML: nested too deeply", path=shown) from None
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {}
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _walk(node, (), lines, shown)
    return YamlSource(shown, data, lines)
