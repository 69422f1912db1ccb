"""Running a parsed SOQL query over stored records and rendering the rows as the REST API does:
``{"attributes": {"type", "url"}, <fields in select order>}``, relationship fields nested under the
relationship name (``"Account": {"attributes": ..., "Name": ...}`` or ``null``), parent-to-child
subqueries as ``{"totalSize", "done", "records"}`` (or ``null`` when there are no children).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from concord.sandbox.salesforce.schema.catalog import Catalog
from concord.sandbox.salesforce.schema.fields import FieldDef, SObjectDef
from concord.sandbox.salesforce.soql.ast import BoolOp, Comparison, Condition, LiteralKind, Query
from concord.sandbox.salesforce.soql.errors import SoqlError
from concord.sandbox.salesforce.soql.parser import parse
from concord.sandbox.salesforce.soql.predicates import Predicate, comparable, compile_condition
from concord.sandbox.salesforce.soql.resolve import (
    BoundPath,
    ChangedSource,
    RecordSource,
    RowReader,
    StoredRecord,
    bind,
    child_relationship,
)
from concord.sandbox.salesforce.values import parse_datetime, to_json, to_typed

MAX_OFFSET = 2000


@dataclass(frozen=True)
class QueryResult:
    """All rows of a query (paging is the caller's business): a list, or rows rendered when read."""

    total_size: int
    records: Sequence[dict[str, Any]]


class LazyRows(Sequence[dict[str, Any]]):
    """The rendered rows of a query whose every value comes from the row itself (no relationship field,
    no subquery): each row is rendered the first time it is read, so a query answered page by page
    renders the pages asked for, not all its rows at once. The rows are the query's snapshot, so a row
    rendered late is the row rendered at once."""

    def __init__(self, render: Callable[[StoredRecord], dict[str, Any]], rows: list[StoredRecord]) -> None:
        self._render = render
        self._rows = rows
        self._done: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self._rows)))]
        return self._row(range(len(self._rows))[index])

    def _row(self, position: int) -> dict[str, Any]:
        with self._lock:
            found = self._done.get(position)
            if found is None:
                found = self._done[position] = self._render(self._rows[position])
            return found


@dataclass(frozen=True)
class _Plan:
    sobject: SObjectDef
    fields: tuple[BoundPath, ...]
    where: Predicate | None
    order: tuple[tuple[BoundPath, bool, bool], ...]
    limit: int | None
    offset: int
    children: tuple[tuple[str, FieldDef, _Plan], ...]
    count_only: bool


def run_query(
    text: str,
    *,
    catalog: Catalog,
    source: RecordSource,
    now: datetime,
    api_version: str,
    include_deleted: bool,
) -> QueryResult:
    """Parse, check and run ``text``; ``include_deleted`` is queryAll.

    Raises:
        SoqlError: when the query is malformed or names unknown objects or fields.
    """
    query = parse(text)
    root = catalog.get(query.sobject)
    if root is None:
        raise SoqlError(
            "INVALID_TYPE",
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a custom object, "
            "be sure to append the '__c' after the entity name. Please reference your WSDL or the describe "
            "call for the appropriate names.",
            query.sobject_position,
        )
    plan = _plan(query, root, catalog, now)
    reader = RowReader(source)
    since = modstamp_lower_bound(query.where)
    records: Iterable[StoredRecord]
    if since is not None and isinstance(source, ChangedSource):
        records = source.scan_written_since(root.name, since, include_deleted=include_deleted)
    else:
        records = source.scan(root.name, include_deleted=include_deleted)
    rows = _select(plan, records, reader)
    if plan.count_only:
        return QueryResult(len(rows), [])
    renderer = _Renderer(api_version, reader, source, include_deleted)
    if not plan.children and not any(path.hops for path in plan.fields):
        return QueryResult(len(rows), LazyRows(lambda row: renderer.render(plan, row), rows))
    return QueryResult(len(rows), renderer.render_all(plan, rows))


def modstamp_lower_bound(where: Condition | None) -> datetime | None:
    """The earliest ``SystemModstamp`` a row can have and pass ``where``, when a top-level ``AND`` item
    says (``SystemModstamp >= 2024-05-20T20:49:32Z``): an incremental poll then reads only the records
    written since, not the whole object. The full condition is still applied to them."""
    if isinstance(where, BoolOp):
        if where.op != "AND":
            return None
        bounds = [b for b in (modstamp_lower_bound(item) for item in where.items) if b is not None]
        return max(bounds, default=None)
    if (
        not isinstance(where, Comparison)
        or where.op not in (">=", ">", "=")
        or len(where.field.parts) != 1
        or where.field.parts[0].lower() != "systemmodstamp"
        or len(where.values) != 1
        or where.values[0].kind is not LiteralKind.DATETIME
    ):
        return None
    return parse_datetime(str(where.values[0].value))


def _plan(query: Query, root: SObjectDef, catalog: Catalog, now: datetime) -> _Plan:
    fields: list[BoundPath] = []
    seen: set[tuple[str, ...]] = set()
    for path in query.fields:
        bound = bind(catalog, root, path)
        if bound.key in seen:
            raise SoqlError("MALFORMED_QUERY", f"duplicate field selected: {path.text}", path.position)
        seen.add(bound.key)
        fields.append(bound)
    if query.offset is not None and query.offset > MAX_OFFSET:
        raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
    children = []
    for subquery in query.subqueries:
        child, reference = child_relationship(catalog, root, subquery.sobject, subquery.sobject_position)
        children.append(
            (reference.child_relationship or child.name, reference, _plan(subquery, child, catalog, now))
        )
    return _Plan(
        sobject=root,
        fields=tuple(fields),
        where=None if query.where is None else compile_condition(query.where, catalog, root, now),
        order=tuple((bind(catalog, root, o.field), o.descending, o.nulls_last) for o in query.order_by),
        limit=query.limit,
        offset=query.offset or 0,
        children=tuple(children),
        count_only=query.count_only,
    )


def _select(plan: _Plan, records: Sequence[StoredRecord] | Any, reader: RowReader) -> list[StoredRecord]:
    where = plan.where
    rows = [r for r in records if where is None or where(r, reader)]
    for path, descending, nulls_last in reversed(plan.order):
        null_rank = 2 if nulls_last != descending else 0

        def sort_key(
            record: StoredRecord, path: BoundPath = path, null_rank: int = null_rank
        ) -> tuple[int, Any]:
            value = comparable(path.leaf, to_typed(path.leaf, reader.stored(record, path)))
            return (null_rank, 0) if value is None else (1, value)

        rows.sort(key=sort_key, reverse=descending)
    end = None if plan.limit is None else plan.offset + plan.limit
    return rows[plan.offset : end]


class _Renderer:
    def __init__(
        self, api_version: str, reader: RowReader, source: RecordSource, include_deleted: bool
    ) -> None:
        self._version = api_version
        self._reader = reader
        self._source = source
        self._include_deleted = include_deleted

    def attributes(self, sobject: SObjectDef, record_id: Any) -> dict[str, str]:
        return {
            "type": sobject.name,
            "url": f"/services/data/v{self._version}/sobjects/{sobject.name}/{record_id}",
        }

    def render_all(self, plan: _Plan, rows: list[StoredRecord]) -> list[dict[str, Any]]:
        rendered = [self.render(plan, row) for row in rows]
        for name, reference, child_plan in plan.children:
            grouped = self._children(reference, child_plan, {str(row["Id"]) for row in rows})
            for row, out in zip(rows, rendered, strict=True):
                kids = grouped.get(str(row["Id"]))
                out[name] = (
                    {"totalSize": len(kids), "done": True, "records": self.render_all(child_plan, kids)}
                    if kids
                    else None
                )
        return rendered

    def _children(
        self, reference: FieldDef, plan: _Plan, parent_ids: set[str]
    ) -> dict[str, list[StoredRecord]]:
        candidates = [
            r
            for r in self._source.scan(plan.sobject.name, include_deleted=self._include_deleted)
            if r.get(reference.name) in parent_ids
        ]
        grouped: dict[str, list[StoredRecord]] = defaultdict(list)
        for record in candidates:
            grouped[str(record[reference.name])].append(record)
        return {parent: _select(plan, kids, self._reader) for parent, kids in grouped.items()}

    def render(self, plan: _Plan, record: StoredRecord) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": self.attributes(plan.sobject, record.get("Id"))}
        for path in plan.fields:
            self._place(out, record, path)
        return out

    def _place(self, out: dict[str, Any], record: StoredRecord, path: BoundPath) -> None:
        if not path.hops:
            leaf = path.leaf
            out[leaf.name] = to_json(leaf, record.get(leaf.name))
            return
        container = out
        current: StoredRecord | None = record
        targets = [obj for obj, _ in path.hops[1:]] + [path.target] if path.hops else []
        for (_, reference), target in zip(path.hops, targets, strict=True):
            name = reference.relationship_name or reference.name
            if name in container:
                if container[name] is None:
                    return
                container = container[name]
                current = self._reader.parent(target.name, container["attributes"]["url"].rsplit("/", 1)[-1])
                continue
            parent_id = current.get(reference.name) if current is not None else None
            parent = self._reader.parent(target.name, parent_id) if isinstance(parent_id, str) else None
            if parent is None:
                container[name] = None
                return
            container[name] = {"attributes": self.attributes(target, parent_id)}
            container = container[name]
            current = parent
        if current is not None:
            container[path.leaf.name] = to_json(path.leaf, current.get(path.leaf.name))
