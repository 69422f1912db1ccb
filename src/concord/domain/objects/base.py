"""The two kinds of canonical model: value objects, and records that carry the common envelope.

A record's envelope (domain.md §2) says where it comes from: its global id, its ids in each system,
the source system and the time and version of the change there, and the correlation id of the business
transaction that produced it. The business fields are everything else; `content_hash()` covers only
those, so the same business content hashes the same whichever system it came from.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, ClassVar, Final, Self

from pydantic import BaseModel, ConfigDict, Field

from concord.domain.ids import new_id
from concord.domain.objects.types import CorrelationId, ExternalId, GlobalId, SystemName, UtcDatetime

__all__ = ["ENVELOPE_FIELDS", "CanonicalRecord", "ValueObject"]

_SCHEMA_NAME_RE: Final = re.compile(r"^[A-Z][A-Za-z0-9]*$")


class ValueObject(BaseModel):
    """A frozen, strictly validated value without identity (an address, an invoice line).

    Unknown fields are refused rather than ignored, so a mapping mistake surfaces at once.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        validate_default=True,
    )

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` applied and validated again (pydantic's `model_copy` skips validation).

        Raises:
            pydantic.ValidationError: if the changed object breaks a rule.
        """
        return self.model_validate(self.model_dump() | changes)

    def __hash__(self) -> int:
        # Every field type serialises canonically (equal values, equal JSON), so this agrees with ==,
        # and it works for dict and tuple fields where pydantic's field-by-field hash would not.
        return hash(self.model_dump_json())


class CanonicalRecord(ValueObject):
    """Base of every canonical business record: the common envelope plus the business fields.

    Subclasses declare `SCHEMA_NAME` (the object's name in published schemas, e.g. "TimeEntry") and
    `SCHEMA_VERSION` (the published schema version the model conforms to).
    """

    SCHEMA_NAME: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]

    global_id: GlobalId = Field(default_factory=new_id)
    """Concord's global id of this record, the same in every system."""
    system_ids: dict[SystemName, ExternalId] = Field(default_factory=dict)
    """The record's id in each system that holds it (system name → id): the cross-reference."""
    source_system: SystemName
    """The system this version of the record was read from, or "concord" when Concord made it."""
    source_changed_at: UtcDatetime
    """When the record last changed in the source system."""
    source_version: ExternalId | None = None
    """The source system's own version or change stamp of the record, when it has one."""
    correlation_id: CorrelationId
    """Trace id of the business transaction that produced this record."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = getattr(cls, "SCHEMA_NAME", None)
        version = getattr(cls, "SCHEMA_VERSION", None)
        if not isinstance(name, str) or not _SCHEMA_NAME_RE.fullmatch(name):
            raise TypeError(
                f"{cls.__qualname__} must declare SCHEMA_NAME, a CamelCase name such as 'TimeEntry'."
            )
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise TypeError(f"{cls.__qualname__} must declare SCHEMA_VERSION, an int of 1 or more.")

    def business_fields(self) -> dict[str, Any]:
        """The business content as JSON-ready data: every field but the envelope, None values left out.

        Leaving out None keeps the hash of a record unchanged when a later schema adds an optional field.
        """
        return self.model_dump(mode="json", exclude=set(ENVELOPE_FIELDS), exclude_none=True)

    def content_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the business fields, prefixed by the object name.

        Two records with the same business content hash the same, whatever their envelopes say.
        """
        canonical = json.dumps(
            self.business_fields(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(f"{self.SCHEMA_NAME}\n{canonical}".encode()).hexdigest()

    def system_id(self, system: str) -> str | None:
        """This record's id in `system`, or None when the system does not hold it (yet)."""
        return self.system_ids.get(system)


ENVELOPE_FIELDS: Final = frozenset(CanonicalRecord.model_fields)
"""Names of the envelope fields every canonical record carries."""
