"""Records and collections as the REST Record API writes them.

A record carries ``links`` (``self``), references are ``{"links", "id", "refName"}`` objects, select
fields ``{"id", "refName"}``, and sublists are a link to their sub-resource unless the request asks for
``expandSubResources=true``. Empty fields are left out, as NetSuite does. Collections (record lists and
SuiteQL results) share one envelope: ``links``, ``count``, ``hasMore``, ``items``, ``offset``,
``totalResults``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from concord.sandbox.netsuite.fields import Field, Kind, render_value
from concord.sandbox.netsuite.store import RecordRepository, StoredRecord

RECORD_PATH = "/services/rest/record/v1"
# Where references to record types the emulator does not model point (for their "self" links).
_UNMODELLED_PATHS = {
    "currency": "currency",
    "expenseReportCurrency": "currency",
    "terms": "term",
    "account": "account",
    "incomeAccount": "account",
    "department": "department",
    "class": "classification",
    "location": "location",
    "category": "expenseCategory",
    "jobType": "jobType",
    "caseTaskEvent": "projectTask",
}
_TRANSACTION_LABELS = {
    "salesOrder": "Sales Order",
    "invoice": "Invoice",
    "journalEntry": "Journal",
    "expenseReport": "Expense Report",
}


def tran_id(record: StoredRecord) -> str | None:
    """The transaction number: the stored ``tranId`` or the generated ``PREFIX<id>``."""
    if not record.type.tran_prefix:
        return None
    stored = record.body.get("tranId")
    return str(stored) if stored else f"{record.type.tran_prefix}{record.id}"


def ref_name(record: StoredRecord) -> str:
    """The display name NetSuite shows for a reference to ``record``."""
    number = tran_id(record)
    if number is not None:
        return f"{_TRANSACTION_LABELS.get(record.type.name, record.type.name)} #{number}"
    for name in record.type.ref_name_fields:
        value = record.id if name == "id" else record.body.get(name)
        if value:
            return str(value)
    return record.id


class RecordRenderer:
    """Renders stored records for one request (its base URL and expansion choices).

    Args:
        repo: For resolving references' types and display names.
        base_url: Scheme, host and port the client called, without a trailing slash.
    """

    def __init__(self, repo: RecordRepository, base_url: str) -> None:
        self._repo = repo
        self._base = base_url.rstrip("/")

    def record_href(self, type_name: str, record_id: str) -> str:
        """The URL of a record."""
        return f"{self._base}{RECORD_PATH}/{type_name}/{record_id}"

    def record(
        self, record: StoredRecord, *, expand: bool = False, only: Collection[str] | None = None
    ) -> dict[str, Any]:
        """A full record document (``GET /record/v1/{type}/{id}``).

        Args:
            record: The stored record.
            expand: Render sublists with their lines (``expandSubResources=true``).
            only: Field names asked for with ``fields=``; ``None`` renders them all.
        """
        self_href = self.record_href(record.type.name, record.id)
        out: dict[str, Any] = {"links": [_link("self", self_href)], "id": record.id}
        body = dict(record.body)
        if record.type.tran_prefix:
            body["tranId"] = tran_id(record)
        for name, stored in body.items():
            if only is not None and name not in only:
                continue
            spec = record.type.field(name)
            value = stored if spec is None else self.value(spec, stored)
            if value is not None and name != "id":
                out[name] = value
        for sublist in record.type.sublists:
            if only is not None and sublist.name not in only:
                continue
            href = f"{self_href}/{sublist.name}"
            lines = record.lines.get(sublist.name, [])
            if expand:
                items = [self.line(record, sublist.name, line) for line in lines]
                out[sublist.name] = collection(items, offset=0, total=len(items), self_href=href)
            else:
                out[sublist.name] = {"links": [_link("self", href)]}
        return out

    def line(self, record: StoredRecord, sublist_name: str, line: Mapping[str, Any]) -> dict[str, Any]:
        """One sublist line (also the body of ``GET /{type}/{id}/{sublist}/{line}``)."""
        sublist = record.type.sublist(sublist_name)
        href = f"{self.record_href(record.type.name, record.id)}/{sublist_name}/{line.get('line')}"
        out: dict[str, Any] = {"links": [_link("self", href)]}
        for name, stored in line.items():
            spec = sublist.field(name) if sublist else None
            value = stored if spec is None else self.value(spec, stored)
            if value is not None:
                out[name] = value
        return out

    def value(self, spec: Field, stored: Any) -> Any:
        """The API form of a stored field value."""
        if stored is None:
            return None
        if spec.kind is Kind.SELECT:
            return {"id": str(stored), "refName": dict(spec.choices).get(str(stored), str(stored))}
        if spec.kind is not Kind.REF:
            return render_value(spec, stored)
        target = self._repo.get_any(spec.targets, str(stored)) if spec.targets else None
        type_name = target.type.name if target else _UNMODELLED_PATHS.get(spec.name, spec.name)
        out: dict[str, Any] = {
            "links": [_link("self", self.record_href(type_name, str(stored)))],
            "id": str(stored),
        }
        if target is not None:
            out["refName"] = ref_name(target)
        return out


def collection(
    items: Sequence[Any],
    *,
    offset: int,
    total: int,
    self_href: str,
    limit: int | None = None,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The collection envelope shared by record lists, sublists and SuiteQL results.

    Args:
        items: This page's items.
        offset: Index of the first item.
        total: Items across all pages.
        self_href: The collection URL without query.
        limit: Page size, for the paging links (``None``: one page holds everything).
        params: Other query parameters to keep in the paging links.
    """
    has_more = offset + len(items) < total
    links = [_link("self", _page_href(self_href, params, limit, offset))]
    if limit is not None and limit > 0:
        last_offset = max(((total - 1) // limit) * limit, 0)
        if offset > 0:
            links.insert(0, _link("prev", _page_href(self_href, params, limit, max(offset - limit, 0))))
            links.insert(0, _link("first", _page_href(self_href, params, limit, 0)))
        if has_more:
            links.append(_link("next", _page_href(self_href, params, limit, offset + limit)))
            links.append(_link("last", _page_href(self_href, params, limit, last_offset)))
    return {
        "links": links,
        "count": len(items),
        "hasMore": has_more,
        "items": list(items),
        "offset": offset,
        "totalResults": total,
    }


def _page_href(base: str, params: Mapping[str, str] | None, limit: int | None, offset: int) -> str:
    query = {k: v for k, v in (params or {}).items() if k not in ("limit", "offset")}
    if limit is not None:
        query["limit"] = str(limit)
        query["offset"] = str(offset)
    return f"{base}?{urlencode(query)}" if query else base


def _link(rel: str, href: str) -> dict[str, str]:
    return {"rel": rel, "href": href}
