"""The mapping file format, as pydantic models: what keys exist and what each holds.

These models check the *shape* of a file (unknown keys, missing keys, wrong types); ``compiler`` then
checks the *meaning* (does the canonical field exist, does the transform fit it). A file looks like::

    # Salesforce Account <-> canonical Customer
    platform: salesforce            # the system, as connectors name it
    object: Account                 # the platform's object (sObject, Kantata collection, NetSuite record)
    canonical: Customer             # the canonical object (concord.domain.objects)
    direction: both                 # inbound (platform → Concord), outbound, or both
    id_field: Id                    # the platform's own record id
    external_id_field: Concord_Id__c        # where Concord's global id is kept (none: leave out)
    correlation_field: Concord_Correlation_Id__c
    stamp_field: SystemModstamp     # the modification stamp change detection follows
    fields:
      - canonical: name             # the canonical field (dotted into groups: billing_address.city)
        platform: Name              # the platform field (dotted into related records: Account.Name)
      - canonical: currency
        platform: CurrencyIsoCode
        default: USD                # the canonical value when the platform has none
      - canonical: billing_address.lines
        platform: BillingStreet
        transform: {split: "\\n"}     # a named transform, see concord.mapping.transforms
    unmapped:                       # required canonical fields this platform does not hold, and why
      employee_id: Kantata users carry no HR number; NetSuite's employee record does

Optional keys: ``only_when`` (which records the mapping reads), ``write_constants`` (platform fields set
on every write), ``children`` (related lists read with the record, such as a SOQL subquery) and, per
rule, ``when``, ``direction``, ``hook`` and ``id_object``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ConditionSpec", "DirectionName", "FieldSpec", "HookSpec", "MappingSpec"]

DirectionName = Literal["inbound", "outbound", "both"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ConditionSpec(_Strict):
    """``{platform: story_type, equals: milestone}``: one field, one test."""

    platform: str | None = None
    """A platform field to test."""
    canonical: str | None = None
    """A canonical field to test (instead of a platform field)."""
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    present: bool | None = None


class HookSpec(_Strict):
    """``{inbound: module:reader, outbound: module:writer}``."""

    inbound: str | None = None
    outbound: str | None = None


class FieldSpec(_Strict):
    """One rule: which canonical field, from which platform field(s), how."""

    canonical: str
    platform: str | list[str] | None = None
    transform: str | dict[str, Any] | None = None
    default: Any = None
    when: ConditionSpec | None = None
    direction: DirectionName | None = None
    hook: str | HookSpec | None = None
    id_object: bool = False
    """The platform holds the value as an object's id: read from ``{"id": "12"}`` or a plain id, written
    as ``{"id": "12"}`` (NetSuite references and select lists)."""


class MappingSpec(_Strict):
    """One mapping file: one platform object ↔ one canonical object."""

    platform: str
    object: str
    canonical: str
    direction: DirectionName = "inbound"
    id_field: str
    external_id_field: str | None = None
    correlation_field: str | None = None
    stamp_field: str
    only_when: ConditionSpec | None = None
    children: dict[str, list[str]] = Field(default_factory=dict)
    write_constants: dict[str, Any] = Field(default_factory=dict)
    unmapped: dict[str, str] = Field(default_factory=dict)
    fields: list[Any] = Field(min_length=1)
    """The rules, each a ``FieldSpec``; checked one by one so that one bad rule hides no other problem."""
