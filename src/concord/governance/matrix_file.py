"""Reading an authority matrix file (YAML), with errors that name the file, the line and the fix.

The YAML is read as a node tree (PyYAML's ``compose``), so every value keeps the line it was written on.
Object and field names are checked against the canonical objects, system kinds against the ``systems``
section, stage names against the object's ``lifecycle``; a field rule that leaves a stage without an
owner is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from concord.domain import objects as canonical
from concord.domain.objects.base import ENVELOPE_FIELDS, CanonicalRecord
from concord.governance.rules import Lifecycle, ObjectAuthority, Rule
from concord.settings import ConfigError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

Systems = dict[str, frozenset[str]]
Objects = dict[str, ObjectAuthority]


def read_matrix(text: str, source: str) -> tuple[Systems, Objects]:
    """The ``systems`` and ``objects`` sections of a matrix file."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(
            f"{source}:{line}: not valid YAML ({error.problem or error.context}); fix the syntax at that line"
        ) from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML ({error}); fix the syntax") from error
    reader = _Reader(source)
    if root is None:
        raise ConfigError(f"{source}:1: the authority matrix is empty; give it `systems:` and `objects:`")
    sections = reader.mapping(root, "the authority matrix", allowed={"systems", "objects"})
    for required in ("systems", "objects"):
        if required not in sections:
            raise reader.fail(
                root, f"the `{required}:` section is missing", f"add `{required}:` at the top level"
            )
    systems = reader.systems(sections["systems"][1])
    objects = {
        name: reader.object_rules(name, key, node, systems)
        for name, (key, node) in reader.mapping(sections["objects"][1], "`objects:`").items()
    }
    return systems, objects


@cache
def canonical_models() -> Mapping[str, type[CanonicalRecord]]:
    """The canonical objects by name (``Customer``, ``TimeEntry``...)."""
    found: dict[str, type[CanonicalRecord]] = {}
    for name in canonical.__all__:
        model = getattr(canonical, name)
        if isinstance(model, type) and issubclass(model, CanonicalRecord) and model is not CanonicalRecord:
            found[model.SCHEMA_NAME] = model
    return found


def business_fields_of(model: type[CanonicalRecord]) -> list[str]:
    """The fields of a canonical object that rules can name (every field but the envelope)."""
    return [name for name in model.model_fields if name not in ENVELOPE_FIELDS]


class _Reader:
    """Walks the node tree; every complaint carries the line of the node it is about."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: Node, problem: str, fix: str) -> ConfigError:
        """The error to raise about ``node``."""
        return ConfigError(f"{self.source}:{node.start_mark.line + 1}: {problem}; {fix}")

    def mapping(
        self, node: Node, what: str, allowed: set[str] | None = None
    ) -> dict[str, tuple[ScalarNode, Node]]:
        if not isinstance(node, MappingNode):
            raise self.fail(
                node, f"{what} must be a mapping of `name: value` lines", "indent its entries under it"
            )
        entries: dict[str, tuple[ScalarNode, Node]] = {}
        for key, value in node.value:
            name = self.scalar(key, f"a key in {what}")
            assert isinstance(key, ScalarNode)  # scalar() refused anything else
            if name in entries:
                raise self.fail(key, f"{name!r} appears twice in {what}", "keep one of them")
            if allowed is not None and name not in allowed:
                raise self.fail(key, f"{what} has no setting {name!r}", f"use {_words(sorted(allowed))}")
            entries[name] = (key, value)
        return entries

    def scalar(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode) or not str(node.value).strip():
            raise self.fail(node, f"{what} must be a single word or value", "write it as plain text")
        return str(node.value).strip()

    def names(self, node: Node, what: str) -> list[tuple[str, Node]]:
        """One value, or a list of values."""
        items = node.value if isinstance(node, SequenceNode) else [node]
        if not items:
            raise self.fail(node, f"{what} is an empty list", "name at least one")
        return [(self.scalar(item, what), item) for item in items]

    def systems(self, node: Node) -> Systems:
        systems: Systems = {}
        for kind, (key, value) in self.mapping(node, "`systems:`").items():
            if not _NAME.fullmatch(kind):
                raise self.fail(
                    key, f"system kind {kind!r} is not a lower-case word", "write it like crm or erp"
                )
            names = self.names(value, f"the systems of kind {kind!r}")
            for name, item in names:
                if not _NAME.fullmatch(name):
                    raise self.fail(
                        item, f"{name!r} is not a system name", "use the name the system has in concord.toml"
                    )
            systems[kind] = frozenset(name for name, _ in names)
        return systems

    def object_rules(self, name: str, key: Node, node: Node, systems: Systems) -> ObjectAuthority:
        model = canonical_models().get(name)
        if model is None:
            raise self.fail(
                key, f"{name!r} is not a canonical object", f"use one of {_words(canonical_models())}"
            )
        what = f"object {name}"
        entries = self.mapping(node, what, allowed={"owner", "fields", "lifecycle"})
        fields = business_fields_of(model)
        lifecycle = self.lifecycle(entries["lifecycle"][1], name, fields) if "lifecycle" in entries else None
        if "owner" not in entries:
            raise self.fail(node, f"{what} has no `owner:`", "name the kind of system that owns its fields")
        context = _Context(name, systems, lifecycle)
        default = self.rules(entries["owner"][1], f"the owner of {name}", context)
        by_field: dict[str, tuple[Rule, ...]] = {}
        if "fields" in entries:
            for field, (field_key, value) in self.mapping(
                entries["fields"][1], f"the fields of {name}"
            ).items():
                if field not in fields:
                    raise self.fail(
                        field_key, f"{name} has no field {field!r}", f"use one of {_words(fields)}"
                    )
                by_field[field] = self.rules(value, f"{name}.{field}", context)
        return ObjectAuthority(default, by_field, lifecycle)

    def lifecycle(self, node: Node, name: str, fields: list[str]) -> Lifecycle:
        entries = self.mapping(node, f"the lifecycle of {name}", allowed={"field", "stages"})
        for required in ("field", "stages"):
            if required not in entries:
                raise self.fail(node, f"the lifecycle of {name} has no `{required}:`", f"add `{required}:`")
        field_node = entries["field"][1]
        field = self.scalar(field_node, "the lifecycle field")
        if field not in fields:
            raise self.fail(field_node, f"{name} has no field {field!r}", f"use one of {_words(fields)}")
        stages: list[str] = []
        values: dict[str, int] = {}
        for stage, (_, listed) in self.mapping(entries["stages"][1], f"the stages of {name}").items():
            stages.append(stage)
            items = listed.value if isinstance(listed, SequenceNode) else [listed]
            if isinstance(listed, ScalarNode) and listed.value == "":
                items = []  # `open:` with nothing after it: the stage of every value not listed
            for value, item in [(self.scalar(i, f"a value of stage {stage!r}"), i) for i in items]:
                if value in values:
                    raise self.fail(item, f"{value!r} is listed in two stages", "list it in one stage only")
                values[value] = len(stages) - 1
        if not stages:
            raise self.fail(
                entries["stages"][1], f"the lifecycle of {name} has no stages", "list them in order"
            )
        return Lifecycle(field, tuple(stages), values)

    def rules(self, node: Node, what: str, context: _Context) -> tuple[Rule, ...]:
        if isinstance(node, ScalarNode) or (
            isinstance(node, SequenceNode) and all(isinstance(i, ScalarNode) for i in node.value)
        ):
            return (Rule(self.kinds(node, what, context)),)
        if not isinstance(node, SequenceNode) or not all(isinstance(i, MappingNode) for i in node.value):
            raise self.fail(
                node,
                f"{what} must be a system kind, a list of kinds, or a list of `- owner: ...` rules",
                "see the examples at the top of the shipped authority.yaml",
            )
        rules = tuple(self.staged_rule(item, what, context) for item in node.value)
        lifecycle = context.lifecycle
        for index, stage in enumerate(lifecycle.stages if lifecycle else ("any",)):
            if not any(rule.holds(index) for rule in rules):
                raise self.fail(
                    node,
                    f"{what} has no owner in stage {stage!r}",
                    "end the list with a rule that has neither `until:` nor `from:`",
                )
        return rules

    def staged_rule(self, node: Node, what: str, context: _Context) -> Rule:
        entries = self.mapping(node, f"a rule of {what}", allowed={"owner", "until", "from"})
        if "owner" not in entries:
            raise self.fail(node, f"a rule of {what} has no `owner:`", "name the kind of system that owns it")
        kinds = self.kinds(entries["owner"][1], what, context)
        start = self.stage(entries["from"][1], what, context) if "from" in entries else 0
        end = self.stage(entries["until"][1], what, context) if "until" in entries else None
        if end is not None and end <= start:
            raise self.fail(
                node, f"a rule of {what} applies in no stage", "check the order of `from:` and `until:`"
            )
        return Rule(kinds, start, end)

    def stage(self, node: Node, what: str, context: _Context) -> int:
        name = self.scalar(node, "a stage")
        lifecycle = context.lifecycle
        if lifecycle is None:
            raise self.fail(
                node,
                f"{what} depends on stage {name!r} but {context.object_type} has no lifecycle",
                "add a `lifecycle:` with its field and stages to the object",
            )
        if name not in lifecycle.stages:
            raise self.fail(
                node, f"{context.object_type} has no stage {name!r}", f"use {_words(lifecycle.stages)}"
            )
        return lifecycle.stages.index(name)

    def kinds(self, node: Node, what: str, context: _Context) -> frozenset[str]:
        kinds = self.names(node, f"the owner of {what}")
        for kind, item in kinds:
            if kind not in context.systems:
                raise self.fail(
                    item,
                    f"{what} names system kind {kind!r}, which `systems:` does not define",
                    f"use {_words(sorted(context.systems))}, or add {kind!r} under `systems:`",
                )
        return frozenset(kind for kind, _ in kinds)


class _Context:
    """What the rules of one object are checked against."""

    def __init__(self, object_type: str, systems: Systems, lifecycle: Lifecycle | None) -> None:
        self.object_type = object_type
        self.systems = systems
        self.lifecycle = lifecycle


def _words(names: Iterable[object]) -> str:
    listed = [str(n) for n in names]
    return ", ".join(listed[:-1]) + f" or {listed[-1]}" if len(listed) > 1 else "".join(listed)
