"""Reading a YAML file into plain data while remembering the line of every key and item.

Why hand-written: ``yaml.safe_load`` returns plain dicts and lists and forgets where each value was, so
a mistake found later (an unknown transform, a misspelt canonical field) could only be reported by file.
Here the file is *composed* into PyYAML nodes, whose marks carry line numbers, and the nodes are turned
into data by this module, which records the line of every path (``("fields", 3, "transform")`` → 41).
Any later check can then say ``Account.Customer.yaml:41: …``.

Building the values ourselves also fixes YAML 1.1 surprises an analyst should never meet:

- numbers with a fraction become ``Decimal``, never ``float`` (money must not pass through a float);
- only ``true``/``false`` are booleans: ``yes``, ``no``, ``on``, ``off`` (and the country code ``NO``)
  stay text;
- dates and times stay text, as platforms send them (``2026-03-31``);
- ``7:30`` stays text (YAML 1.1 would read a base-60 number), and so do numbers with leading zeros
  (``0042`` is an id, not octal 34);
- a key given twice in one mapping is an error instead of the last one silently winning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from concord.mapping.errors import Problem

__all__ = ["Loc", "YamlFile", "read_yaml"]

Loc = tuple[str | int, ...]
"""A path into a document: mapping keys and list indexes."""

_TAG = "tag:yaml.org,2002:"
_TEXT_TAGS = frozenset({f"{_TAG}str", f"{_TAG}timestamp"})


@dataclass
class YamlFile:
    """A parsed YAML file: its data and the line (1-based) of every path in it."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Sequence[str | int]) -> int:
        """The line of ``loc``, or of its nearest enclosing path the file has (1 for the top)."""
        parts = tuple(loc)
        while parts:
            found = self.lines.get(parts)
            if found is not None:
                return found
            parts = parts[:-1]
        return self.lines.get((), 1)

    def problem(self, loc: Sequence[str | int], message: str) -> Problem:
        """A problem at ``loc`` of this file."""
        return Problem(self.path, self.line(loc), message)


class _Builder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[Loc, int] = {}
        self.problems: list[Problem] = []
        self._open: set[int] = set()

    def fail(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.path, node.start_mark.line + 1, message))

    def build(self, node: Node, loc: Loc) -> Any:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if id(node) in self._open:
            self.fail(node, "this alias refers to a value that contains it; write the value out instead")
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, loc)
            assert isinstance(node, SequenceNode)
            return [self.build(item, (*loc, index)) for index, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == f"{_TAG}merge":
                self.fail(key_node, "merge keys (<<) are not supported here; write the keys out in full")
                continue
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, "a key must be a plain word or value, not a list or a mapping")
                continue
            key = self._scalar(key_node)
            if key in result:
                first = self.lines.get((*loc, key), "?")
                self.fail(key_node, f"'{key}' is given twice (first on line {first}); keep only one")
                continue
            self.lines[(*loc, key)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*loc, key))
        return result

    def _scalar(self, node: ScalarNode) -> Any:
        text: str = node.value
        tag = node.tag
        if tag in _TEXT_TAGS or node.style is not None:
            return text
        if tag == f"{_TAG}null":
            return None
        if tag == f"{_TAG}bool":
            lowered = text.lower()
            return lowered == "true" if lowered in ("true", "false") else text
        if tag == f"{_TAG}int":
            return _integer(text)
        if tag == f"{_TAG}float":
            return self._decimal(node, text)
        if tag.startswith(_TAG):
            self.fail(node, f"the value {text!r} has a YAML type ({tag[len(_TAG) :]}) mappings do not use")
            return text
        self.fail(node, f"the tag {tag} is not supported here; remove it")
        return text

    def _decimal(self, node: ScalarNode, text: str) -> Any:
        cleaned = text.replace("_", "")
        if ":" in cleaned:
            return text
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            self.fail(node, f"{text!r} is not a finite number; write a number such as 12.50, or quote it")
            return text
        return number


def _integer(text: str) -> int | str:
    digits = text.replace("_", "").lstrip("+-")
    if ":" in text or (len(digits) > 1 and digits.startswith("0") and digits.isdigit()):
        return text
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        return text


def read_yaml(path: Path) -> tuple[YamlFile | None, list[Problem]]:
    """Read ``path``; the parsed file (None when it cannot be read at all) and the problems found.

    An empty file reads as ``None`` data.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, 1, f"cannot read the file ({exc}); check that it exists and is UTF-8")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or "invalid YAML"
        hint = ""
        if exc.context:
            started = exc.context_mark.line + 1 if exc.context_mark is not None else line
            hint = (
                f" ({exc.context} that starts on line {started})" if started != line else f" ({exc.context})"
            )
        return None, [Problem(path, line, f"not valid YAML: {what}{hint}; fix the syntax there")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 1, f"not valid YAML: {exc}")]
    builder = _Builder(path)
    data = None if root is None else builder.build(root, ())
    return YamlFile(path, data, builder.lines), builder.problems
