"""What the NetSuite connector reads with a record besides its SuiteQL row: the ``children`` its mapping
names, and where SuiteQL keeps a record type's rows.

SuiteQL gives one row per record, its body fields only. A mapping that needs more names it under
``children``, and each name is read with the record through the REST Record API:

- a *sublist* of the record (``item`` of a sales order) comes as ``{"items": [<line>...]}``, each line with
  its fields as the REST API shows them (the record is read once, ``expandSubResources=true``);
- a *dependent record*, a reference the connector writes inline (a sales order's ``billingSchedule``, see
  ``DEPENDENT_RECORDS``), comes inline too: the referenced record's fields and its sublists, in place of
  the id. A reference that is empty stays empty; one whose record is gone reads as empty.

So a mapping reads back what it wrote. REST values keep their REST form (references ``{"id", "refName"}``,
ISO dates, amounts as numbers); the mapping's hooks read them. A change to a dependent record alone does
not touch its owner's ``lastModifiedDate``: a poll sees it with the owner's next change, and ``get``
always reads it as it is now.

Transactions are rows of SuiteQL's one ``transaction`` table, told apart by ``type``
(``TRANSACTION_TYPES``); every other record type is a table of its own name.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Final

from concord.connectors.netsuite.client import NetSuiteClient
from concord.connectors.platform import PolledRecord
from concord.mapping import ObjectMapping

__all__ = ["DEPENDENT_RECORDS", "TRANSACTION_TYPES", "dependent_columns", "suiteql_source", "with_children"]

DEPENDENT_RECORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "salesOrder": {"billingSchedule": "billingSchedule"}
}
"""Per record type, the reference fields a mapping may write (and read) inline, as the referenced record's
fields, and the record type each refers to."""

TRANSACTION_TYPES: Final[Mapping[str, str]] = {
    "salesOrder": "SalesOrd",
    "invoice": "CustInvc",
    "journalEntry": "Journal",
    "expenseReport": "ExpRept",
}
"""REST record type → its ``type`` in SuiteQL's ``transaction`` table."""

_ENVELOPE: Final = frozenset({"links", "count", "hasMore", "offset", "totalResults"})
"""What the REST API wraps records and sublists in (not their data)."""


def suiteql_source(record_type: str) -> tuple[str, str | None]:
    """The SuiteQL table a record type's rows are in, and the condition that picks them there (or None)."""
    code = TRANSACTION_TYPES.get(record_type)
    if code is not None:
        return "transaction", f"type = '{code}'"
    return record_type.lower(), None


def dependent_columns(mapping: ObjectMapping) -> list[str]:
    """The dependent records the mapping reads as children: their references are body fields to select."""
    dependents = DEPENDENT_RECORDS.get(mapping.platform_object, {})
    return [name for name in mapping.children if name in dependents]


async def with_children(
    client: NetSuiteClient, mapping: ObjectMapping, records: Sequence[PolledRecord]
) -> list[PolledRecord]:
    """``records`` with the children their mapping names read into each (see the module docstring)."""
    if not mapping.children:
        return list(records)
    return list(await asyncio.gather(*(_read_children(client, mapping, r) for r in records)))


async def _read_children(
    client: NetSuiteClient, mapping: ObjectMapping, polled: PolledRecord
) -> PolledRecord:
    if polled.deleted:
        return polled
    record_type = mapping.platform_object
    dependents = DEPENDENT_RECORDS.get(record_type, {})
    row = dict(polled.record)
    sublists = [name for name in mapping.children if name not in dependents]
    if sublists:
        whole = await client.find(record_type, polled.system_id, expand_sub_resources=True) or {}
        for name in sublists:
            row[name] = {"items": [_plain(line) for line in _items(whole.get(name))]}
    for name in dependent_columns(mapping):
        reference = _reference(row.get(name))
        if reference is not None:
            found = await client.find(dependents[name], reference, expand_sub_resources=True)
            row[name] = None if found is None else _plain(found)
    return dataclasses.replace(polled, record=row)


def _reference(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    text = None if value is None else str(value).strip()
    return text if text and text.isdigit() else None


def _items(value: Any) -> list[Any]:
    items = value.get("items") if isinstance(value, Mapping) else None
    return list(items) if isinstance(items, list) else []


def _plain(value: Any) -> Any:
    """A REST document without its links and paging: records as their fields, sublists as their items."""
    if isinstance(value, Mapping):
        if isinstance(value.get("items"), list):
            return {"items": [_plain(item) for item in value["items"]]}
        return {key: _plain(item) for key, item in value.items() if key not in _ENVELOPE}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
