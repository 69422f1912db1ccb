"""What the mapping engine needs to know about the canonical models: which objects exist, which field a
dotted path names, what kind of value it holds, and how to validate one value of it on its own.
"""

from __future__ import annotations

import difflib
import types
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from functools import cached_property
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    TypeAdapter,
)

from concord.domain.hours import Hours
from concord.domain.money import Money
from concord.domain.objects import ENVELOPE_FIELDS, CanonicalRecord
from concord.domain.schemas import CANONICAL_MODELS

__all__ = ["CANONICAL_MODELS", "FieldTarget", "Kind", "business_fields", "close_to", "resolve"]


class Kind(StrEnum):
    """The kind of value a canonical field holds, as mapping sees it (the values read in sentences)."""

    TEXT = "text"
    BOOL = "a true/false value"
    INT = "a whole number"
    DECIMAL = "a decimal number"
    HOURS = "hours"
    MONEY = "an amount with a currency"
    DATE = "a date"
    DATETIME = "a date and time"
    ENUM = "a choice"
    LIST = "a list"
    OBJECT = "a group of fields"
    MAPPING = "a table"


@dataclass(frozen=True)
class FieldTarget:
    """A canonical field named by a dotted path (``billing_address.city``)."""

    path: str
    annotation: Any
    """The field's type with its constraints (``Annotated[...]``), as pydantic validates it."""
    kind: Kind
    required: bool
    """Whether the field must have a value in its record (or in its enclosing group, when nested)."""
    enum: type[Enum] | None = None
    model: type[BaseModel] | None = None
    """For a group of fields (an address), its model."""

    @property
    def top(self) -> str:
        """The top-level field the path starts with."""
        return self.path.split(".", 1)[0]

    @property
    def nested(self) -> bool:
        """Whether the path names a field inside a group of fields."""
        return "." in self.path

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        """Validates and serialises one value of this field."""
        return TypeAdapter(self.annotation)

    def to_json(self, value: Any) -> Any:
        """``value`` validated and in its canonical JSON form.

        Raises:
            pydantic.ValidationError: the value does not fit the field.
        """
        return self.adapter.dump_python(self.adapter.validate_python(value), mode="json")

    def allowed_values(self) -> list[str]:
        """For a choice, the canonical values."""
        return [str(member.value) for member in self.enum] if self.enum else []


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0], True
    return annotation, False


def _base_type(annotation: Any) -> Any:
    annotation, _ = _strip_optional(annotation)
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
        annotation, _ = _strip_optional(annotation)
    return annotation


def _kind_of(base: Any) -> Kind:
    origin = get_origin(base)
    if origin in (tuple, list):
        return Kind.LIST
    if origin is dict:
        return Kind.MAPPING
    checks: tuple[tuple[type, Kind], ...] = (
        (bool, Kind.BOOL),
        (AwareDatetime, Kind.DATETIME),
        (NaiveDatetime, Kind.DATETIME),
        (PastDatetime, Kind.DATETIME),
        (FutureDatetime, Kind.DATETIME),
        (PastDate, Kind.DATE),
        (FutureDate, Kind.DATE),
        (Hours, Kind.HOURS),
        (Money, Kind.MONEY),
        (datetime, Kind.DATETIME),
        (date, Kind.DATE),
        (Decimal, Kind.DECIMAL),
        (Enum, Kind.ENUM),
        (int, Kind.INT),
        (str, Kind.TEXT),
        (BaseModel, Kind.OBJECT),
    )
    if isinstance(base, type):
        for cls, kind in checks:
            if issubclass(base, cls):
                return kind
    return Kind.TEXT


def _target(path: str, owner: type[BaseModel], name: str) -> FieldTarget:
    info = owner.model_fields[name]
    annotation = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    base = _base_type(info.annotation)
    kind = _kind_of(base)
    return FieldTarget(
        path=path,
        annotation=annotation,
        kind=kind,
        required=info.is_required(),
        enum=base if kind is Kind.ENUM else None,
        model=base if kind is Kind.OBJECT else None,
    )


def close_to(word: str, choices: list[str]) -> str:
    """`` (did you mean 'x'?)`` when ``word`` looks like one of ``choices``, else empty."""
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{found[0]}'?)" if found else ""


def business_fields(model: type[CanonicalRecord]) -> list[str]:
    """The model's business fields (every field but the envelope), in declaration order."""
    return [name for name in model.model_fields if name not in ENVELOPE_FIELDS]


def resolve(model: type[CanonicalRecord], path: str) -> FieldTarget | str:
    """The field ``path`` names in ``model``, or a sentence saying why there is none.

    Envelope fields (global id, source system, correlation id...) are refused: connectors fill them.
    """
    parts = path.split(".")
    if not all(parts):
        return f"'{path}' is not a field path; write names joined by dots, such as billing_address.city"
    if parts[0] in ENVELOPE_FIELDS:
        return (
            f"'{parts[0]}' belongs to the record's envelope, which the connector fills; "
            "remove this rule (map only business fields)"
        )
    owner: type[BaseModel] = model
    target: FieldTarget | None = None
    for depth, name in enumerate(parts):
        choices = business_fields(model) if depth == 0 else list(owner.model_fields)
        if name not in owner.model_fields:
            where = model.SCHEMA_NAME if depth == 0 else f"{model.SCHEMA_NAME}.{'.'.join(parts[:depth])}"
            return (
                f"{where} has no field '{name}'{close_to(name, choices)}; its fields are {', '.join(choices)}"
            )
        target = _target(".".join(parts[: depth + 1]), owner, name)
        if depth < len(parts) - 1:
            if target.model is None:
                inside = parts[depth + 1]
                return (
                    f"'{target.path}' is {target.kind.value} and has no fields inside it; remove '.{inside}'"
                )
            owner = target.model
    assert target is not None
    return target
