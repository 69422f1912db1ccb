"""Index-request parameters: paging, ordering, ``only``, ``include`` and ``optional_fields``.

Kantata's API is built on Mavenlink's Brainstem, whose query strategy is lenient: numbers are read the
Ruby ``to_i`` way (``"abc"`` → 0), ``per_page`` is clamped to 1..200 (falling back to 20), ``limit`` and
``offset`` take precedence over ``page``/``per_page`` only when both are given, an unknown ``order``
falls back to the endpoint's default, and unknown includes are ignored (mavenlink/brainstem
``query_strategies/base_strategy.rb``, ``presenter_collection.rb``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from concord.sandbox.kantata.hooks import Record
from concord.sandbox.kantata.specs import ResourceSpec

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200

_LEADING_INT = re.compile(r"^\s*([+-]?\d+)")


def ruby_to_i(text: str | None) -> int:
    """Ruby's ``String#to_i``: the leading integer, 0 when there is none."""
    if text is None:
        return 0
    match = _LEADING_INT.match(text)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class Window:
    """Which slice of the ordered matches a request asks for.

    Attributes:
        limit: how many records at most.
        offset: how many matches to skip.
        page_number: the page number reported in ``meta`` (Brainstem echoes ``page``).
        page_size: the page size reported in ``meta`` (``per_page`` even when limit/offset are used).
    """

    limit: int
    offset: int
    page_number: int
    page_size: int


def parse_window(params: Mapping[str, str]) -> Window:
    """Read ``page``/``per_page`` or ``limit``/``offset`` the Brainstem way."""
    per_page = min(ruby_to_i(params.get("per_page")) or DEFAULT_PER_PAGE, MAX_PER_PAGE)
    if per_page < 1:
        per_page = DEFAULT_PER_PAGE
    page = max(ruby_to_i(params.get("page", "1")), 1)
    if params.get("limit", "").strip() and params.get("offset", "").strip():
        limit = min(max(ruby_to_i(params["limit"]), 1), MAX_PER_PAGE)
        offset = max(ruby_to_i(params["offset"]), 0)
        return Window(limit=limit, offset=offset, page_number=page, page_size=per_page)
    return Window(limit=per_page, offset=per_page * (page - 1), page_number=page, page_size=per_page)


def parse_order(spec: ResourceSpec, params: Mapping[str, str]) -> tuple[str, bool]:
    """``order=<attr>:asc|desc`` → (attribute, descending); unknown attributes use the default order."""
    default_attr, _, default_dir = spec.default_order.partition(":")
    attr, _, direction = params.get("order", "").partition(":")
    if attr.strip() not in spec.orders:
        return default_attr, default_dir == "desc"
    return attr.strip(), direction.strip().lower() == "desc"


def sort_records(records: list[Record], attribute: str, descending: bool) -> list[Record]:
    """Order records by one attribute (missing values first), ties broken by numeric id.

    An attribute that is sortable but not rendered is kept as ``_<attribute>`` (e.g. a submission's date).
    """

    def key(record: Record) -> tuple[bool, str | int, int]:
        value = record.get(attribute, record.get(f"_{attribute}"))
        if attribute == "id":
            return (False, int(record["id"]), 0)
        sortable: str | int = (
            value if isinstance(value, int) and not isinstance(value, bool) else str(value or "")
        )
        return (value is not None, sortable, int(record["id"]))

    return sorted(records, key=key, reverse=descending)


def parse_only(params: Mapping[str, str]) -> list[str] | None:
    """``only=5,6,7`` → ids (non-numeric entries dropped, as Brainstem does); ``None`` without ``only``."""
    raw = params.get("only", "")
    if not raw.strip():
        return None
    ids: list[str] = []
    for part in raw.split(","):
        item = part.strip()
        if item.isdigit() and str(int(item)) not in ids:
            ids.append(str(int(item)))
    return ids


def parse_includes(spec: ResourceSpec, params: Mapping[str, str]) -> list[str]:
    """The requested include names this resource knows, in request order (unknown names ignored)."""
    names: list[str] = []
    for part in params.get("include", "").split(","):
        name = part.strip()
        if name in spec.associations and name not in names:
            names.append(name)
    return names


def parse_list(params: Mapping[str, str], name: str) -> list[str]:
    """A comma-separated parameter as a list of non-empty, stripped words."""
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]


def page_count(count: int, page_size: int) -> int:
    """``meta.page_count``: ceil(count / page_size), 0 when nothing matched."""
    return -(-count // page_size) if count > 0 else 0
