"""SuiteQL tables built from the stored records: column names are the lower-cased field ids.

Tables: ``customer``, ``job``, ``employee``, ``subsidiary``, ``accountingperiod``, ``item``,
``billingschedule``, ``timebill``, ``transaction`` (sales orders, invoices, journal entries, expense
reports, with ``type`` codes ``SalesOrd``, ``CustInvc``, ``Journal``, ``ExpRept``), ``transactionline``
(their lines) and ``deletedrecord``. Booleans are ``'T'``/``'F'``, references are internal ids.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from concord.sandbox.netsuite.catalog import RECORD_TYPES
from concord.sandbox.netsuite.fields import Field, Kind, RecordType, Sublist, parse_datetime
from concord.sandbox.netsuite.payload import is_custom
from concord.sandbox.netsuite.render import ref_name, tran_id
from concord.sandbox.netsuite.store import RecordRepository, StoredRecord
from concord.sandbox.netsuite.suiteql.evaluate import Value

Row = dict[str, Value]


@dataclass(frozen=True)
class Table:
    """A table's columns (``SELECT *`` order) and rows."""

    columns: tuple[str, ...]
    rows: list[Row]


class UnknownTableError(LookupError):
    """The query names a table the emulator does not provide."""


_KEPT_TABLES = 4
_TableKey = tuple[str, frozenset[str] | None, int]


@dataclass(frozen=True)
class _Loaded:
    """The rows of a record table written at or after ``since``, with each row's write time."""

    since: datetime | None
    columns: dict[str, None]
    rows: list[Row]
    written: list[datetime]
    transaction: bool

    def covers(self, since: datetime | None) -> bool:
        return self.since is None or (since is not None and since >= self.since)

    def table(self, since: datetime | None) -> Table:
        """Exactly the table ``load_table`` builds for ``since`` (which this load covers)."""
        if since == self.since:
            rows = self.rows
        else:
            assert since is not None
            # The store's own test: documents written at or after ``since`` (order is kept).
            rows = [row for row, at in zip(self.rows, self.written, strict=True) if at >= since]
        return Table(_with_dynamic(dict(self.columns), rows, self.transaction), rows)


_loads: weakref.WeakKeyDictionary[RecordRepository, OrderedDict[_TableKey, _Loaded]] = (
    weakref.WeakKeyDictionary()
)
_loads_lock = threading.Lock()


def cached_table(
    name: str,
    repo: RecordRepository,
    *,
    modified_since: datetime | None = None,
    columns: frozenset[str] | None = None,
) -> Table:
    """``load_table``, built from rows kept since an earlier query while the store is unchanged.

    A client reading a large result page by page sends one query per page (offset or keyset paging, the
    latter with a rising ``lastmodifieddate`` bound); converting the stored documents to rows is most of
    each query's cost, and between two pages nothing has usually been written. The rows loaded for one
    bound serve every later bound (those written at or after it), so the table is exactly the one a
    fresh load would give. The evaluator never modifies a table, so sharing rows is safe.
    """
    types = _record_types(name)
    if types is None:
        return load_table(name, repo, modified_since=modified_since, columns=columns)
    version = repo.store.version
    key: _TableKey = (name, columns, version)
    with _loads_lock:
        kept = _loads.setdefault(repo, OrderedDict())
        loaded = kept.get(key)
        if loaded is not None and loaded.covers(modified_since):
            kept.move_to_end(key)
            return loaded.table(modified_since)
    loaded = _load(types, repo, modified_since, columns)
    if repo.store.version == version:  # nothing was written while it was read
        with _loads_lock:
            kept[key] = loaded
            while len(kept) > _KEPT_TABLES:
                kept.popitem(last=False)
    return loaded.table(modified_since)


def load_table(
    name: str,
    repo: RecordRepository,
    *,
    modified_since: datetime | None = None,
    columns: frozenset[str] | None = None,
) -> Table:
    """Build the rows of a SuiteQL table from the repository.

    Args:
        name: The table.
        repo: The records.
        modified_since: Rows may be limited to records written at or after this time (a pushed-down
            ``lastmodifieddate`` filter; the filter itself is still applied by the evaluator).
        columns: The columns the query uses; others may be left out of the rows (``None``: all).

    Raises:
        UnknownTableError: For a table the emulator does not know.
    """
    if name == "transactionline":
        return _lines(repo)
    if name == "deletedrecord":
        return _deleted(repo)
    types = _record_types(name)
    if types is None:
        raise UnknownTableError(name)
    return _load(types, repo, modified_since, columns).table(modified_since)


def _record_types(name: str) -> list[RecordType] | None:
    """The record types whose records are the rows of table ``name`` (None: not a record table)."""
    if name == "transaction":
        return _transaction_types()
    types = [t for t in RECORD_TYPES.values() if t.suiteql_table == name and not t.tran_type]
    return types or None


def _transaction_types() -> list[RecordType]:
    return [t for t in RECORD_TYPES.values() if t.tran_type]


def _load(
    types: list[RecordType],
    repo: RecordRepository,
    modified_since: datetime | None,
    needed: frozenset[str] | None,
) -> _Loaded:
    transaction = bool(types[0].tran_type)
    extras = _transaction_extras if transaction else None
    columns: dict[str, None] = {"id": None}
    specs: dict[str, Field] = {}
    for record_type in types:
        for spec in record_type.fields:
            columns.setdefault(spec.column, None)
            specs.setdefault(spec.name, spec)
    rows: list[Row] = []
    written: list[datetime] = []
    if needed is not None:
        # Converting every stored value costs more than the query itself; convert what is used.
        specs = {name: spec for name, spec in specs.items() if spec.column in needed}
    for record in repo.scan_types(types, modified_since=modified_since):
        row = _row(record.body, specs, record.id)
        if extras is not None:
            row.update(extras(record))
        rows.append(row)
        assert record.written_at is not None
        written.append(record.written_at)
    return _Loaded(modified_since, columns, rows, written, transaction)


def _row(body: dict[str, Any], specs: dict[str, Field], record_id: str | None) -> Row:
    row: Row = {} if record_id is None else {"id": int(record_id)}
    for name, stored in body.items():
        spec = specs.get(name)
        if spec is not None:
            row[spec.column] = column_value(spec, stored)
        elif is_custom(name):
            row[name.lower()] = (
                None if stored is None else stored if isinstance(stored, str | int) else str(stored)
            )
    for spec in specs.values():
        if spec.kind is Kind.BOOL and spec.column not in row:
            row[spec.column] = "F"
    return row


def column_value(spec: Field, stored: Any) -> Value:
    """A stored field value as a SuiteQL value."""
    if stored is None:
        return None
    kind = spec.kind
    if kind is Kind.BOOL:
        return "T" if stored else "F"
    if kind in (Kind.MONEY, Kind.DECIMAL, Kind.DURATION):
        return Decimal(stored)
    if kind is Kind.DATE:
        return date.fromisoformat(stored)
    if kind is Kind.DATETIME:
        return parse_datetime(stored)
    if kind is Kind.REF and str(stored).isdigit():
        return int(stored)
    if kind is Kind.INT:
        return int(stored)
    return str(stored)


def _transaction_extras(record: StoredRecord) -> Row:
    total = record.body.get("total")
    return {
        "tranid": tran_id(record),
        "type": record.type.tran_type,
        "recordtype": record.type.name.lower(),
        "posting": "T" if record.type.posting else "F",
        "foreigntotal": None if total is None else Decimal(total),
        "createddate": parse_datetime(record.body["createdDate"]) if record.body.get("createdDate") else None,
    }


def _with_dynamic(columns: dict[str, None], rows: Iterable[Row], transaction: bool) -> tuple[str, ...]:
    if transaction:
        for name in ("tranid", "type", "recordtype", "posting", "foreigntotal"):
            columns.setdefault(name, None)
    for row in rows:
        for name in row:
            columns.setdefault(name, None)
    return tuple(columns)


def _lines(repo: RecordRepository) -> Table:
    columns: dict[str, None] = dict.fromkeys(
        ("id", "transaction", "linesequencenumber", "mainline", "linelastmodifieddate", "netamount")
    )
    specs: dict[str, Field] = {}
    types = _transaction_types()
    for record_type in types:
        for sublist in record_type.sublists:
            for spec in sublist.fields:
                columns.setdefault(spec.column, None)
                specs.setdefault(spec.name, spec)
    rows: list[Row] = []
    for record in repo.scan_types(types):
        for sublist in record.type.sublists:
            rows.extend(_line_rows(record, sublist, specs))
    return Table(_with_dynamic(columns, rows, False), rows)


def _line_rows(record: StoredRecord, sublist: Sublist, specs: dict[str, Field]) -> Iterable[Row]:
    modified = record.body.get("lastModifiedDate")
    for line in record.lines.get(sublist.name, []):
        row = _row({k: v for k, v in line.items() if k != "line"}, specs, None)
        amount = line.get("amount") or line.get("debit") or line.get("credit")
        row.update(
            {
                "id": int(line["line"]),
                "transaction": int(record.id),
                "linesequencenumber": int(line["line"]),
                "mainline": "F",
                "linelastmodifieddate": parse_datetime(modified) if modified else None,
                "netamount": None if amount is None else Decimal(amount),
            }
        )
        yield row


def _deleted(repo: RecordRepository) -> Table:
    columns = ("recordid", "type", "name", "externalid", "deleteddate", "istransaction")
    rows: list[Row] = []
    for record_type in RECORD_TYPES.values():
        for record in repo.deleted(record_type):
            deleted_at: datetime | None = record.deleted_at
            rows.append(
                {
                    "recordid": int(record.id),
                    "type": record_type.name.lower(),
                    "name": ref_name(record),
                    "externalid": record.body.get("externalId"),
                    "deleteddate": None if deleted_at is None else deleted_at.replace(microsecond=0),
                    "istransaction": "T" if record_type.tran_type else "F",
                }
            )
    return Table(columns, rows)
