"""Index and show requests: default filters, filters, ``only``, ordering, paging and the envelope.

Default filters (archived projects, deleted tasks, old events...) apply to index and show alike, so a
show of a hidden record is a 404 while ``only=`` simply leaves it out; ``apply_default_filters=false``
switches them off (Brainstem).
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from concord.sandbox.kantata.envelope import Catalog, EnvelopeBuilder
from concord.sandbox.kantata.errors import not_found
from concord.sandbox.kantata.filters import common_predicates, parse_bool, parse_ids, time_bounds
from concord.sandbox.kantata.hooks import Predicate, Record, RecordReader
from concord.sandbox.kantata.query import (
    Window,
    parse_includes,
    parse_list,
    parse_only,
    parse_order,
    parse_window,
    sort_records,
)
from concord.sandbox.kantata.repository import KantataRepository
from concord.sandbox.kantata.specs import ResourceSpec

Reducer = Callable[[list[Record], Mapping[str, str]], list[Record]]
_KEPT_ORDERS = 8
_Sorted = tuple[list[Record], list[str] | None]
"""A collection's records in one order, and their sort values when all are text (else None)."""


def _time_run(
    presorted: _Sorted, params: Mapping[str, str], attribute: str, descending: bool
) -> tuple[list[Record], bool]:
    """The run of the sorted records that the query's time filters can keep, and whether those filters
    are decided by it (all on the sort attribute, in ascending text order): then no record of the run
    fails them."""
    records, keys = presorted
    bounds = time_bounds(params)
    if keys is None or descending:
        return records, not bounds
    start, end, decided = 0, len(records), True
    for bounded, op, bound in bounds:
        if bounded != attribute:
            decided = False
        elif op == ">":
            start = max(start, bisect.bisect_right(keys, bound))
        else:
            end = min(end, bisect.bisect_left(keys, bound))
    return (records[start:end] if start < end else []), decided


def all_of(predicates: list[Predicate]) -> Predicate | None:
    """One predicate true when all are (None when there are none); called once per record, so the
    common cases of one or two predicates avoid a generator per record."""
    if not predicates:
        return None
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda record: first(record) and second(record)
    return lambda record: all(predicate(record) for predicate in predicates)


def default_scope(spec: ResourceSpec, params: Mapping[str, str], reader: RecordReader) -> Predicate | None:
    """The endpoint's default filters, unless ``apply_default_filters=false``."""
    try:
        if not parse_bool(params.get("apply_default_filters", "true")):
            return None
    except ValueError:
        pass
    return spec.hooks.default_scope(params, reader)


class ReadService:
    """Answers index and show requests for any catalogue resource."""

    def __init__(self, repo: KantataRepository, catalog: Catalog) -> None:
        self.repo = repo
        self.catalog = catalog
        self._orders: OrderedDict[tuple[str, str, bool, int], _Sorted] = OrderedDict()
        self._asked: OrderedDict[tuple[str, str, bool, int], None] = OrderedDict()
        self._lock = threading.Lock()

    def index(
        self,
        spec: ResourceSpec,
        params: Mapping[str, str],
        *,
        extra: list[Predicate] | None = None,
        reduce: Reducer | None = None,
    ) -> dict[str, Any]:
        """The envelope for ``GET /<collection>.json``."""
        predicates = [p for p in (default_scope(spec, params, self.repo),) if p is not None]
        predicates += common_predicates(spec, params, self.repo)
        predicates += extra or []
        test = all_of(predicates)
        only = parse_only(params)
        attribute, descending = parse_order(spec, params)
        narrowed = self._narrowed(spec, params, only)
        presorted = None
        if narrowed is None and reduce is None:
            presorted = self._sorted(spec, attribute, descending)
        if presorted is not None:
            # Filtering a sorted list keeps its order: the same list as sorting the matches.
            run, decided = _time_run(presorted, params, attribute, descending)
            if test is None or (decided and len(predicates) == len(time_bounds(params))):
                ordered = run
            else:
                ordered = [record for record in run if test(record)]
        else:
            candidates = self.repo.all(spec.collection) if narrowed is None else narrowed
            matches = candidates if test is None else [record for record in candidates if test(record)]
            if reduce is not None:
                matches = reduce(matches, params)
            ordered = sort_records(matches, attribute, descending)
        window = parse_window(params)
        page = ordered if only is not None else ordered[window.offset : window.offset + window.limit]
        return self._builder(spec, params).build(page, len(ordered), window)

    def show(self, spec: ResourceSpec, record_id: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The envelope for ``GET /<collection>/<id>.json`` (404 when absent or hidden)."""
        record = self.visible(spec, record_id, params)
        return self.envelope(spec, [record], params)

    def visible(self, spec: ResourceSpec, record_id: str, params: Mapping[str, str]) -> Record:
        """The record, unless it does not exist or the default filters hide it (404)."""
        record = self.repo.get(spec.collection, record_id)
        scope = default_scope(spec, params, self.repo)
        if record is None or (scope is not None and not scope(record)):
            raise not_found(f"{spec.subject_type} {record_id} could not be found.")
        return record

    def envelope(
        self, spec: ResourceSpec, records: list[Record], params: Mapping[str, str]
    ) -> dict[str, Any]:
        """The envelope for records a write returned (all of them, unpaged)."""
        window = parse_window(params)
        window = Window(limit=len(records), offset=0, page_number=1, page_size=window.page_size)
        return self._builder(spec, params).build(records, len(records), window)

    def _builder(self, spec: ResourceSpec, params: Mapping[str, str]) -> EnvelopeBuilder:
        optional = [name for name in parse_list(params, "optional_fields") if name in spec.optional_fields]
        return EnvelopeBuilder(spec, self.catalog, self.repo, parse_includes(spec, params), optional)

    def _narrowed(
        self, spec: ResourceSpec, params: Mapping[str, str], only: list[str] | None
    ) -> list[Record] | None:
        """The candidates when the query names them (``only``, one project), else None (all records)."""
        if only is not None:
            found = (self.repo.get(spec.collection, rid) for rid in only)
            return [record for record in found if record is not None]
        # Narrow when the query pins the project; the predicate still applies afterwards.
        workspace = params.get("workspace_id", "").strip()
        if workspace and "workspace_id" in spec.hooks.filters and spec.field("workspace_id") is not None:
            try:
                ids = parse_ids(workspace)
            except ValueError:
                ids = []
            if len(ids) == 1:
                return self.repo.find(spec.collection, "workspace_id", ids[0])
        return None

    def _sorted(self, spec: ResourceSpec, attribute: str, descending: bool) -> _Sorted | None:
        """Every record of the collection in this order, kept while the repository is unchanged (pages
        of one listing ask for the same order again and again); None when it is not worth keeping (the
        first request at this version: between writes, sorting only the matches is cheaper) or cannot
        be kept."""
        collection = spec.collection
        if self.repo.has_view(collection):
            return None
        version = self.repo.version
        key = (collection, attribute, descending, version)
        with self._lock:
            kept = self._orders.get(key)
            if kept is not None:
                self._orders.move_to_end(key)
                return kept
            if key not in self._asked:
                self._asked[key] = None
                while len(self._asked) > _KEPT_ORDERS:
                    self._asked.popitem(last=False)
                return None
        try:
            records = sort_records(self.repo.all(collection), attribute, descending)
        except TypeError:  # values of mixed types: only the matches may be sortable, as before
            return None
        # When every record holds a text value, the sort order is the order of that text: the order a
        # time filter compares in, so a filter's bound can be found by bisection.
        values: list[Any] = [record.get(attribute) for record in records]
        textual = attribute != "id" and all(isinstance(value, str) and value for value in values)
        found: _Sorted = (records, values if textual else None)
        if self.repo.version == version:
            with self._lock:
                self._orders[key] = found
                while len(self._orders) > _KEPT_ORDERS:
                    self._orders.popitem(last=False)
        return found
