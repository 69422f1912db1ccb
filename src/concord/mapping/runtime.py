"""A loaded mapping at work: platform record → canonical business fields (with lineage), and back.

Rules run in file order, unconditional ones first, then those with ``when`` (so a condition can look at
anything the others produced). Reading, a missing platform value (absent, None, blank) takes the rule's
default or leaves the field out; a required field left out is a ``MappingFailure`` naming the platform
field. Writing, only the canonical fields present in the values are written (an update sends just the
changed ones); a value set to None clears the platform field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from concord.domain.objects import CanonicalRecord
from concord.engine.errors import CannotEncode
from concord.mapping.canonical import FieldTarget
from concord.mapping.conditions import Condition
from concord.mapping.context import MappingContext
from concord.mapping.errors import MappingFailure
from concord.mapping.hooks import HOOK_ERRORS, HookRef
from concord.mapping.paths import ABSENT, PathConflict, get_path, is_missing, put_path
from concord.mapping.transforms import BadValue, Reader, Transform, Writer, show

__all__ = ["FieldRule", "Lineage", "Mapped", "MappingFailure", "ObjectMapping"]

DIRECTIONS = frozenset({"inbound", "outbound"})


@dataclass(frozen=True)
class Lineage:
    """Where one canonical value came from: system, object, platform fields and the transform used."""

    system: str
    object: str
    fields: tuple[str, ...]
    transform: str

    def __str__(self) -> str:
        source = ", ".join(self.fields) if self.fields else "(no field)"
        return f"{self.system} {self.object}.{source} via {self.transform}"


@dataclass(frozen=True)
class Mapped:
    """The canonical business fields of one platform record, and the lineage of each."""

    values: dict[str, Any]
    """Canonical business fields, JSON-ready (value objects as nested dicts)."""
    lineage: dict[str, Lineage]
    """Canonical field path (``billing_address.city``) → where it came from."""
    model: type[CanonicalRecord]

    def record(self, envelope: Mapping[str, Any]) -> CanonicalRecord:
        """The canonical record: these values plus the ``envelope`` (global id, source...), validated.

        Raises:
            MappingFailure: the values break a rule of the canonical object; the message names the
                platform fields each broken value came from.
        """
        try:
            return self.model.model_validate({**self.values, **dict(envelope)})
        except ValidationError as exc:
            raise MappingFailure("; ".join(self._sentences(exc))) from None

    def _sentences(self, exc: ValidationError) -> list[str]:
        sentences = []
        for item in exc.errors(include_url=False):
            path = ".".join(str(p) for p in item["loc"])
            origin = self.lineage.get(path) or self.lineage.get(path.split(".", 1)[0])
            source = f" (from {', '.join(origin.fields)})" if origin and origin.fields else ""
            where = f"{path}{source}: " if path else ""
            sentences.append(f"{self.model.SCHEMA_NAME} {where}{item['msg']}")
        return sentences


@dataclass(frozen=True)
class FieldRule:
    """One compiled rule of a mapping file."""

    target: FieldTarget
    platform: tuple[str, ...]
    transform: Transform
    directions: frozenset[str]
    path: Path
    line: int
    default: Any = ABSENT
    when: Condition | None = None
    reader: HookRef | None = None
    writer: HookRef | None = None
    id_object: bool = False

    @property
    def where(self) -> str:
        """The rule's place, for messages: ``Account.Customer.yaml:14``."""
        return f"{self.path.name}:{self.line}"

    @property
    def source_label(self) -> str:
        """The platform field(s) the rule reads, as messages name them."""
        if self.platform:
            return ", ".join(self.platform)
        return f"hook {self.reader.name}" if self.reader else "(constant)"

    def reads(self) -> tuple[str, ...]:
        """Every platform field the rule reads inbound."""
        extra = self.transform.extra_reads()
        condition = (self.when.path,) if self.when and self.when.side == "platform" else ()
        return (*self.platform, *extra, *condition)

    def describe_transform(self) -> str:
        """The transform as lineage shows it."""
        name = self.transform.describe()
        if self.reader is not None:
            return f"hook {self.reader.name}" + ("" if name == "copy" else f" + {name}")
        return name


class ObjectMapping:
    """One platform object ↔ one canonical object, as declared in one mapping file."""

    def __init__(
        self,
        *,
        path: Path,
        platform: str,
        platform_object: str,
        canonical: str,
        model: type[CanonicalRecord],
        id_field: str,
        external_id_field: str | None,
        correlation_field: str | None,
        stamp_field: str,
        directions: frozenset[str],
        rules: tuple[FieldRule, ...],
        only_when: Condition | None = None,
        children: Mapping[str, tuple[str, ...]] | None = None,
        write_constants: Mapping[str, Any] | None = None,
        unmapped: Mapping[str, str] | None = None,
    ) -> None:
        self.path = path
        self.platform = platform
        self.platform_object = platform_object
        self.canonical = canonical
        self.model = model
        self.id_field = id_field
        self.external_id_field = external_id_field
        self.correlation_field = correlation_field
        self.stamp_field = stamp_field
        self.directions = directions
        self.rules = rules
        self.only_when = only_when
        self.children: Mapping[str, tuple[str, ...]] = dict(children or {})
        """Related lists read with the record (name → their fields), e.g. a SOQL child subquery."""
        self.write_constants: Mapping[str, Any] = dict(write_constants or {})
        self.unmapped: Mapping[str, str] = dict(unmapped or {})
        """Required canonical fields this platform does not hold, with the reason."""
        self._inbound = tuple(r for r in rules if "inbound" in r.directions)
        self._outbound = tuple(r for r in rules if "outbound" in r.directions)
        # Per record, only the values change: the reading order and each rule's lineage are fixed.
        self._inbound_order = _in_order(self._inbound)
        self._lineages: dict[tuple[int, bool], Lineage] = {}
        # Per rule, what every record needs of it, worked out once: the canonical path (and whether it is
        # a top-level field), the platform field a plain rule reads, and its two lineages.
        self._reading = tuple(
            _Reading(
                rule,
                rule.target.path,
                "." not in rule.target.path,
                _plain_field(rule),
                self._lineage(rule, False),
                self._lineage(rule, True),
            )
            for rule in self._inbound_order
        )

    def __repr__(self) -> str:
        return f"<ObjectMapping {self.label} ↔ {self.canonical} ({self.path.name})>"

    @property
    def label(self) -> str:
        """``salesforce Account``."""
        return f"{self.platform} {self.platform_object}"

    def rules_for(self, direction: str) -> tuple[FieldRule, ...]:
        """The rules that run in ``direction`` ("inbound" or "outbound"), in file order."""
        return self._inbound if direction == "inbound" else self._outbound

    # -- what to read ------------------------------------------------------------------------------

    def source_fields(self) -> list[str]:
        """The platform fields to read (a SOQL select list...): id, stamp, external id, correlation
        field, then every field the inbound rules read. Dotted paths name a field of a related record
        (``Approved_By__r.Name``, ``workspace.currency``); related lists (``children``) are not included.
        """
        fields: list[str] = [self.id_field, self.stamp_field]
        fields += [f for f in (self.external_id_field, self.correlation_field) if f]
        if self.only_when is not None:
            fields.append(self.only_when.path)
        for rule in self._inbound:
            fields += [f for f in rule.reads() if f not in self.children]
        return list(dict.fromkeys(fields))

    def related(self) -> list[str]:
        """The related records the source fields reach into (the first part of each dotted path), e.g.
        the associations to include when reading Kantata."""
        return list(dict.fromkeys(f.split(".", 1)[0] for f in self.source_fields() if "." in f))

    def reference_tables(self) -> frozenset[str]:
        """The reference tables this mapping looks values up in."""
        tables: set[str] = set()
        for rule in self.rules:
            for attribute in ("table", "reverse"):
                name = getattr(rule.transform, attribute, None)
                if isinstance(name, str):
                    tables.add(name)
        return frozenset(tables)

    def accepts(self, record: Mapping[str, Any]) -> bool:
        """Whether ``record`` is one this mapping reads (its ``only_when`` holds)."""
        return self.only_when is None or self.only_when.holds(record, {})

    # -- inbound -----------------------------------------------------------------------------------

    def _record_label(self, record: Mapping[str, Any]) -> str:
        record_id = get_path(record, self.id_field)
        return self.label if is_missing(record_id) else f"{self.label} {record_id}"

    def to_canonical(self, record: Mapping[str, Any], context: MappingContext) -> Mapped:
        """The canonical business fields of a platform record, with their lineage.

        Raises:
            MappingFailure: a value cannot be read, a required one is missing, or the record is not one
                this mapping reads; the message names the record and the platform field.
        """
        if not self.accepts(record):
            assert self.only_when is not None
            raise MappingFailure(
                f"{self._record_label(record)} is not a record this mapping reads "
                f"(it reads those where {self.only_when.describe()})"
            )
        reader = Reader(record, context, self.platform)
        values: dict[str, Any] = {}
        lineage: dict[str, Lineage] = {}
        defaulted: set[str] = set()
        plain_record = type(record) is dict
        for reading in self._reading:
            rule = reading.rule
            if rule.when is not None and not rule.when.holds(record, values):
                continue
            if plain_record and reading.field is not None:
                value, from_default = self._convert(rule, reader, record.get(reading.field, ABSENT))
            else:
                value, from_default = self._read(rule, reader)
            if value is None:
                continue
            path = reading.path
            if reading.top_level and path not in values:
                values[path] = value
            else:
                put_path(values, path, value)
            lineage[path] = reading.defaulted if from_default else reading.read
            if from_default:
                defaulted.add(path)
        self._drop_default_only_groups(values, lineage, defaulted)
        self._check_required(values, record)
        return Mapped(values, lineage, self.model)

    def _read(self, rule: FieldRule, reader: Reader) -> tuple[Any, bool]:
        try:
            raw = self._raw(rule, reader)
        except (BadValue, *HOOK_ERRORS) as exc:
            raise MappingFailure(
                f"{self._record_label(reader.record)}: {rule.source_label} {exc} (mapping rule {rule.where})"
            ) from None
        return self._convert(rule, reader, raw)

    def _convert(self, rule: FieldRule, reader: Reader, raw: Any) -> tuple[Any, bool]:
        """The canonical value of what the rule read (its default when that is missing), and whether the
        default was taken."""
        try:
            value = None if _missing(raw) else rule.transform.to_canonical(raw, reader)
        except (BadValue, *HOOK_ERRORS) as exc:
            raise MappingFailure(
                f"{self._record_label(reader.record)}: {rule.source_label} {exc} (mapping rule {rule.where})"
            ) from None
        if _missing(value):
            return (None, False) if rule.default is ABSENT else (rule.default, True)
        return value, False

    @staticmethod
    def _raw(rule: FieldRule, reader: Reader) -> Any:
        if rule.reader is not None:
            raw = rule.reader.function(reader.record, reader.context)
        elif rule.transform.many_inputs:
            raw = [reader.get(path) for path in rule.platform]
        elif rule.platform:
            raw = reader.get(rule.platform[0])
        else:
            raw = ABSENT
        if rule.id_object and isinstance(raw, Mapping):
            raw = raw.get("id")
        return raw

    def _lineage(self, rule: FieldRule, from_default: bool) -> Lineage:
        key = (id(rule), from_default)
        found = self._lineages.get(key)
        if found is None:
            found = self._lineages[key] = self._new_lineage(rule, from_default)
        return found

    def _new_lineage(self, rule: FieldRule, from_default: bool) -> Lineage:
        if from_default:
            return Lineage(self.platform, self.platform_object, (), "default")
        fields = tuple(dict.fromkeys((*rule.platform, *rule.transform.extra_reads())))
        return Lineage(self.platform, self.platform_object, fields, rule.describe_transform())

    @staticmethod
    def _drop_default_only_groups(
        values: dict[str, Any], lineage: dict[str, Lineage], defaulted: set[str]
    ) -> None:
        # A group (an address, a tax profile) exists when the platform gave at least one of its fields;
        # defaults alone do not make one.
        groups: dict[str, list[str]] = {}
        for path in lineage:
            if "." in path:
                groups.setdefault(path.split(".", 1)[0], []).append(path)
        for group, paths in groups.items():
            if all(path in defaulted for path in paths):
                values.pop(group, None)
                for path in paths:
                    del lineage[path]

    def _check_required(self, values: Mapping[str, Any], record: Mapping[str, Any]) -> None:
        missing = [
            rule
            for rule in self._inbound
            if rule.target.required and not rule.target.nested and rule.target.path not in values
        ]
        seen: set[str] = set()
        for rule in missing:
            if rule.target.path in seen or rule.target.path in values:
                continue
            seen.add(rule.target.path)
            condition = f" (or {rule.when.describe()} does not hold)" if rule.when else ""
            raise MappingFailure(
                f"{self._record_label(record)} has no {rule.source_label}{condition}, which Concord needs "
                f"for {self.canonical} {rule.target.path} (mapping rule {rule.where})"
            )

    # -- outbound ----------------------------------------------------------------------------------

    def to_platform(
        self,
        values: Mapping[str, Any],
        context: MappingContext,
        *,
        global_id: str | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """The platform body for canonical business fields (``model_dump(mode="json")`` form).

        Only fields present in ``values`` are written, so a partial ``values`` makes a partial update.
        The external-id field gets ``global_id`` and the correlation field ``correlation_id`` when the
        mapping names them and they are given.

        Raises:
            CannotEncode: a value has no platform form (an enum value without a platform value, a
                related record not in the platform yet...); the message names the field.
        """
        writer = Writer(context, self.platform)
        # Constants go first, so that a rule's condition can see them; the ids go last.
        self._put_all(writer, self.write_constants)
        for rule in _in_order(self._outbound):
            if rule.when is not None and not rule.when.holds(writer.body, values):
                continue
            present, value = _canonical_value(values, rule.target.path)
            if not present:
                continue
            if value is None and rule.default is not ABSENT:
                value = rule.default
            self._write(rule, value, writer, values)
        ids: dict[str, Any] = {}
        if self.external_id_field and global_id:
            ids[self.external_id_field] = global_id
        if self.correlation_field and correlation_id:
            ids[self.correlation_field] = correlation_id
        self._put_all(writer, ids)
        return writer.body

    def _put_all(self, writer: Writer, fields: Mapping[str, Any]) -> None:
        for name, value in fields.items():
            try:
                writer.put(name, value)
            except PathConflict as exc:
                raise CannotEncode(f"cannot write {self.canonical} to {self.label}: {exc}") from None

    def _write(self, rule: FieldRule, value: Any, writer: Writer, values: Mapping[str, Any]) -> None:
        try:
            platform_value = None if value is None else rule.transform.to_platform(value, writer)
            if rule.writer is not None:
                extra = {"record": values} if rule.writer.takes_record else {}
                for name, written in rule.writer.function(platform_value, writer.context, **extra).items():
                    writer.put(name, written)
                return
            if rule.id_object and platform_value is not None:
                platform_value = {"id": platform_value}
            writer.put(rule.platform[0], platform_value)
        except (BadValue, PathConflict, *HOOK_ERRORS) as exc:
            raise CannotEncode(
                f"cannot write {self.canonical} {rule.target.path} {show(value)} to {self.label}: {exc} "
                f"(mapping rule {rule.where})"
            ) from None


def _missing(value: Any) -> bool:
    if isinstance(value, list):
        return all(is_missing(v) for v in value)
    return is_missing(value)


@dataclass(frozen=True, slots=True)
class _Reading:
    """One inbound rule, as ``to_canonical`` runs it on every record."""

    rule: FieldRule
    path: str
    top_level: bool
    field: str | None
    """The platform field of a rule that reads one top-level field as it is (no hook, no dotted path,
    no id object, one input): read straight from a plain record."""
    read: Lineage
    defaulted: Lineage


def _plain_field(rule: FieldRule) -> str | None:
    if rule.reader is not None or rule.transform.many_inputs or rule.id_object or len(rule.platform) != 1:
        return None
    field = rule.platform[0]
    return None if "." in field else field


def _in_order(rules: Iterable[FieldRule]) -> list[FieldRule]:
    ordered = list(rules)
    return [r for r in ordered if r.when is None] + [r for r in ordered if r.when is not None]


def _canonical_value(values: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """(present, value): a top-level field absent from ``values`` is not present; inside a present
    group, a missing field reads as None (the group was written without it)."""
    top, _, rest = path.partition(".")
    if top not in values:
        return False, None
    value = values[top]
    if not rest or value is None:
        return True, value
    found = get_path(value, rest) if isinstance(value, Mapping) else None
    return True, None if found is ABSENT else found
