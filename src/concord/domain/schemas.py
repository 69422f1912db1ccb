"""The registry of canonical objects, their published JSON Schemas, and the check that keeps them compatible.

Each canonical model declares `SCHEMA_NAME` and `SCHEMA_VERSION`. Its JSON Schema is published as
`<published_dir>/<Name>/v<version>.json` and a published version is immutable: the current model must
stay backward compatible with it, meaning that every document valid under the published schema still
reads into the model with the same field types. Adding an optional field or an enum value is
compatible; removing a field, changing its type, making it required, adding a required field or
removing an enum value is not, and needs a new version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from concord.domain.objects import (
    AccountingPeriod,
    Assignment,
    CanonicalRecord,
    ChangeOrder,
    Contact,
    Contract,
    Customer,
    ExpenseItem,
    ExpensePosting,
    InvoiceEvent,
    LegalEntity,
    Milestone,
    Opportunity,
    Project,
    PurchaseCommitment,
    RateCard,
    Resource,
    RevenueEvent,
    ServiceOffering,
    TimeEntry,
    TimePosting,
)

__all__ = [
    "CANONICAL_MODELS",
    "JSON_SCHEMA_DIALECT",
    "ExportStatus",
    "ExportedSchema",
    "Incompatibility",
    "IncompatibilityKind",
    "check_compatibility",
    "export_schemas",
    "model_for",
    "published_dir",
    "render_schema",
    "schema_of",
    "schema_path",
]

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


class IncompatibilityKind(StrEnum):
    """What kind of breaking change a model made to its published schema."""

    NOT_PUBLISHED = "not_published"
    UNREADABLE = "unreadable"
    FIELD_REMOVED = "field_removed"
    TYPE_CHANGED = "type_changed"
    MADE_REQUIRED = "made_required"
    REQUIRED_ADDED = "required_added"
    ENUM_VALUE_REMOVED = "enum_value_removed"
    NULL_REFUSED = "null_refused"
    CONSTRAINT_TIGHTENED = "constraint_tightened"


_FIXES: Final = {
    IncompatibilityKind.FIELD_REMOVED: "restore the field",
    IncompatibilityKind.TYPE_CHANGED: "restore the field type",
    IncompatibilityKind.MADE_REQUIRED: "make the field optional again (give it a default)",
    IncompatibilityKind.REQUIRED_ADDED: "make the new field optional with a default",
    IncompatibilityKind.ENUM_VALUE_REMOVED: "restore the enum value",
    IncompatibilityKind.NULL_REFUSED: "accept null again (make the field optional)",
    IncompatibilityKind.CONSTRAINT_TIGHTENED: "restore the previous limit",
}


@dataclass(frozen=True, slots=True)
class Incompatibility:
    """One breaking change between a model and its published schema, with what to do about it."""

    schema: str
    version: int
    field: str
    """Dotted path of the field ("lines[].amount"); empty for the whole schema."""
    kind: IncompatibilityKind
    message: str

    @classmethod
    def breaking(
        cls, schema: str, version: int, field: str, kind: IncompatibilityKind, change: str
    ) -> Incompatibility:
        """A breaking change, with the standard advice: bump the version or undo the change."""
        message = (
            f"{schema} v{version}: {change}. Published versions are immutable: bump SCHEMA_VERSION to "
            f"{version + 1} and publish v{version + 1}, or {_FIXES[kind]}."
        )
        return cls(schema, version, field, kind, message)

    @classmethod
    def not_published(cls, schema: str, version: int, path: Path) -> Incompatibility:
        """The model's current version has no published schema file."""
        message = (
            f"{schema} v{version} is not published ({path} is missing): run `concord schema export` "
            "and commit the new file."
        )
        return cls(schema, version, "", IncompatibilityKind.NOT_PUBLISHED, message)

    @classmethod
    def unreadable(cls, schema: str, version: int, path: Path, reason: str) -> Incompatibility:
        """The published file exists but is not JSON."""
        message = (
            f"{schema} v{version}: the published schema {path} is not valid JSON ({reason}); restore it."
        )
        return cls(schema, version, "", IncompatibilityKind.UNREADABLE, message)

    def __str__(self) -> str:
        return self.message


def _registry(models: Iterable[type[CanonicalRecord]]) -> Mapping[str, type[CanonicalRecord]]:
    by_name: dict[str, type[CanonicalRecord]] = {}
    for model in models:
        if model.SCHEMA_NAME in by_name:
            raise ValueError(f"Two canonical models are named {model.SCHEMA_NAME!r}.")
        by_name[model.SCHEMA_NAME] = model
    return MappingProxyType(by_name)


CANONICAL_MODELS: Final = _registry(
    [
        LegalEntity,
        Customer,
        Contact,
        Resource,
        ServiceOffering,
        RateCard,
        Opportunity,
        Contract,
        ChangeOrder,
        Project,
        Milestone,
        Assignment,
        TimeEntry,
        ExpenseItem,
        InvoiceEvent,
        RevenueEvent,
        PurchaseCommitment,
        TimePosting,
        AccountingPeriod,
        ExpensePosting,
    ]
)
"""Every canonical object of domain.md §2: schema name → model class."""


def model_for(name: str) -> type[CanonicalRecord]:
    """The model class registered under `name` (e.g. "TimeEntry").

    Raises:
        KeyError: with the known names, when `name` is not a canonical object.
    """
    try:
        return CANONICAL_MODELS[name]
    except KeyError:
        raise KeyError(
            f"{name!r} is not a canonical object; known: {', '.join(sorted(CANONICAL_MODELS))}."
        ) from None


def published_dir() -> Path:
    """The folder of published schemas shipped inside the package (src/concord/domain/schemas/published)."""
    return Path(__file__).with_name("schemas") / "published"


def schema_path(root: Path, name: str, version: int) -> Path:
    """Where version `version` of the schema of `name` lives under `root`."""
    return root / name / f"v{version}.json"


def schema_of(model: type[CanonicalRecord]) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a canonical model, as readers of its documents must accept it."""
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["x-concord-schema"] = {"name": model.SCHEMA_NAME, "version": model.SCHEMA_VERSION}
    return schema


def render_schema(model: type[CanonicalRecord]) -> str:
    """The schema as file text: sorted keys, two-space indent, final newline, so files diff cleanly."""
    return json.dumps(schema_of(model), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class ExportStatus(StrEnum):
    """What `export_schemas` did with one file."""

    WRITTEN = "written"
    UNCHANGED = "unchanged"
    KEPT = "kept"
    """A different file for this version already exists; published versions are never overwritten."""


@dataclass(frozen=True, slots=True)
class ExportedSchema:
    """One schema file `export_schemas` considered."""

    name: str
    version: int
    path: Path
    status: ExportStatus


def export_schemas(
    out_dir: Path, models: Iterable[type[CanonicalRecord]] | None = None
) -> list[ExportedSchema]:
    """Write one JSON Schema file per model and version: `<out_dir>/<Name>/v<version>.json`.

    A file that already exists with other content is left as it is (status KEPT): a published version is
    immutable, so a model that changed must bump its SCHEMA_VERSION to be published again.

    Args:
        out_dir: the root folder; created if needed.
        models: the models to export; all canonical models by default.
    """
    results = []
    for model in CANONICAL_MODELS.values() if models is None else models:
        path = schema_path(out_dir, model.SCHEMA_NAME, model.SCHEMA_VERSION)
        text = render_schema(model)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            status = ExportStatus.WRITTEN
        elif path.read_text(encoding="utf-8") == text:
            status = ExportStatus.UNCHANGED
        else:
            status = ExportStatus.KEPT
        results.append(ExportedSchema(model.SCHEMA_NAME, model.SCHEMA_VERSION, path, status))
    return results


def check_compatibility(
    models: Iterable[type[CanonicalRecord]] | None = None, published: Path | None = None
) -> list[Incompatibility]:
    """Compare each model's current schema with its published version and list the breaking changes.

    A model whose current version has no published file is reported too (kind NOT_PUBLISHED), so a
    version bump cannot reach the main branch unpublished.

    Args:
        models: the models to check; all canonical models by default.
        published: the folder of published schemas; `published_dir()` by default.
    """
    root = published_dir() if published is None else published
    problems: list[Incompatibility] = []
    for model in CANONICAL_MODELS.values() if models is None else models:
        name, version = model.SCHEMA_NAME, model.SCHEMA_VERSION
        path = schema_path(root, name, version)
        if not path.exists():
            problems.append(Incompatibility.not_published(name, version, path))
            continue
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append(Incompatibility.unreadable(name, version, path, str(exc)))
            continue
        problems.extend(diff_schemas(name, version, old, schema_of(model)))
    return problems


# --- schema comparison -------------------------------------------------------------------------------
# Only what changes how a document is read counts: types, formats, patterns, enums, required fields,
# null, and limits. Titles, descriptions and key order are documentation and may change freely.

_TIGHTER_IF_LOWER: Final = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")
_TIGHTER_IF_HIGHER: Final = ("minLength", "minimum", "exclusiveMinimum", "minItems")
_NULL: Final = {"type": "null"}


def diff_schemas(name: str, version: int, old: dict[str, Any], new: dict[str, Any]) -> list[Incompatibility]:
    """The breaking changes from the published schema `old` to the current schema `new`."""
    return _SchemaDiff(name, version, old, new).run()


class _SchemaDiff:
    def __init__(self, name: str, version: int, old_root: dict[str, Any], new_root: dict[str, Any]) -> None:
        self.name, self.version = name, version
        self.old_root, self.new_root = old_root, new_root
        self.problems: list[Incompatibility] = []
        self.active: set[tuple[int, int]] = set()  # schema pairs being compared, to stop at cycles

    def run(self) -> list[Incompatibility]:
        self._compare(self.old_root, self.new_root, "")
        return self.problems

    def _report(self, field: str, kind: IncompatibilityKind, change: str) -> None:
        self.problems.append(Incompatibility.breaking(self.name, self.version, field, kind, change))

    def _compare(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_null, old_variants = _variants(_resolve(old, self.old_root), self.old_root)
        new_null, new_variants = _variants(_resolve(new, self.new_root), self.new_root)
        if old_null and not new_null:
            self._report(path, IncompatibilityKind.NULL_REFUSED, f"field '{path}' no longer accepts null")
        if len(old_variants) == 1 and len(new_variants) == 1:
            self._compare_one(old_variants[0], new_variants[0], path)
            return
        for variant in old_variants:
            match = next((v for v in new_variants if _signature(v) == _signature(variant)), None)
            if match is None:
                change = f"field '{path}' no longer accepts {_describe(variant)}"
                self._report(path, IncompatibilityKind.TYPE_CHANGED, change)
            else:
                self._compare_one(variant, match, path)

    def _compare_one(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        pair = (id(old), id(new))
        if pair in self.active:  # a recursive definition, already being compared further up
            return
        self.active.add(pair)
        try:
            self._compare_resolved(old, new, path)
        finally:
            self.active.discard(pair)

    def _compare_resolved(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        if "enum" in old and "enum" in new:
            for value in [v for v in old["enum"] if v not in new["enum"]]:
                change = f"field '{path}' no longer accepts the value {value!r}"
                self._report(path, IncompatibilityKind.ENUM_VALUE_REMOVED, change)
            return
        if "enum" in new and "enum" not in old:
            change = f"field '{path}' now only accepts the values {', '.join(map(repr, new['enum']))}"
            self._report(path, IncompatibilityKind.TYPE_CHANGED, change)
            return
        if _signature(old) != _signature(new):
            change = f"field '{path}' changed type from {_describe(old)} to {_describe(new)}"
            self._report(path, IncompatibilityKind.TYPE_CHANGED, change)
            return
        self._compare_limits(old, new, path)
        if _kind(old) == "object":
            self._compare_object(old, new, path)
        elif (
            _kind(old) == "array"
            and isinstance(old.get("items"), dict)
            and isinstance(new.get("items"), dict)
        ):
            self._compare(old["items"], new["items"], f"{path}[]")

    def _compare_object(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        prefix = f"{path}." if path else ""
        for field, old_field in old_props.items():
            if field not in new_props:
                change = f"field '{prefix}{field}' was removed"
                self._report(prefix + field, IncompatibilityKind.FIELD_REMOVED, change)
            else:
                self._compare(old_field, new_props[field], prefix + field)
        old_required = set(old.get("required", []))
        for field in [f for f in new.get("required", []) if f not in old_required]:
            if field in old_props:
                kind, change = (
                    IncompatibilityKind.MADE_REQUIRED,
                    f"field '{prefix}{field}' was optional and is now required",
                )
            else:
                kind = IncompatibilityKind.REQUIRED_ADDED
                change = f"new field '{prefix}{field}' is required, but documents of v{self.version} lack it"
            self._report(prefix + field, kind, change)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self._compare(old_extra, new_extra, f"{path}{{}}")

    def _compare_limits(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        for key in _TIGHTER_IF_LOWER + _TIGHTER_IF_HIGHER:
            if key not in new:
                continue
            before, after = old.get(key), new[key]
            lower_is_tighter = key in _TIGHTER_IF_LOWER
            if before is None or (after < before if lower_is_tighter else after > before):
                change = (
                    f"field '{path}' now has {key} {after} (it was {'unset' if before is None else before})"
                )
                self._report(path, IncompatibilityKind.CONSTRAINT_TIGHTENED, change)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (and single-element `allOf` wrappers) to the schema they point at."""
    for _ in range(32):  # bounded: a published file could hold a reference loop
        if "$ref" in schema and str(schema["$ref"]).startswith("#/$defs/"):
            target = root.get("$defs", {}).get(schema["$ref"].removeprefix("#/$defs/"))
            if not isinstance(target, dict):
                return schema
            schema = target
        elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema
    return schema


def _variants(schema: dict[str, Any], root: dict[str, Any]) -> tuple[bool, list[dict[str, Any]]]:
    """(accepts null, the non-null alternatives, references resolved) of a resolved schema."""
    if isinstance(schema.get("anyOf"), list):
        options = [_resolve(option, root) for option in schema["anyOf"] if isinstance(option, dict)]
        return _NULL in options, [option for option in options if option != _NULL]
    if schema == _NULL or schema.get("type") == "null":
        return True, []
    return False, [schema]


def _kind(schema: dict[str, Any]) -> str:
    if "type" in schema:
        return str(schema["type"])
    if "properties" in schema:
        return "object"
    if "enum" in schema:
        return "enum"
    return "any"


def _signature(schema: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """What makes two schemas the same type: the JSON type, the format and the pattern."""
    return (_kind(schema), schema.get("format"), schema.get("pattern"))


def _describe(schema: dict[str, Any]) -> str:
    kind, fmt, pattern = _signature(schema)
    details = [f"format {fmt}"] if fmt else []
    if pattern:
        details.append(f"pattern {pattern}")
    title = schema.get("title") if kind == "object" else None
    text = f"{kind} {title}" if title else kind
    return f"{text} ({', '.join(details)})" if details else text
