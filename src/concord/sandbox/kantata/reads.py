"""Index and show requests: default filters, filters, ``only``, ordering, paging and the envelope.

Default filters (archived projects, deleted tasks, old events...) apply to index and show alike, so a
show of a hidden record is a 404 while ``only=`` simply leaves it out; ``apply_default_filters=false``
switches them off (Brainstem).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from concord.sandbox.kantata.envelope import Catalog, EnvelopeBuilder
from concord.sandbox.kantata.errors import not_found
from concord.sandbox.kantata.filters import common_predicates, parse_bool, parse_ids
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
        only = parse_only(params)
        candidates = self._candidates(spec, params, only)
        matches = [record for record in candidates if all(predicate(record) for predicate in predicates)]
        if reduce is not None:
            matches = reduce(matches, params)
        attribute, descending = parse_order(spec, params)
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

    def _candidates(
        self, spec: ResourceSpec, params: Mapping[str, str], only: list[str] | None
    ) -> list[Record]:
        if only is not None:
            found = (self.repo.get(spec.collection, rid) for rid in only)
            return [record for record in found if record is not None]
        # Narrow in SQL when the query pins the project; the predicate still applies afterwards.
        workspace = params.get("workspace_id", "").strip()
        if workspace and "workspace_id" in spec.hooks.filters and spec.field("workspace_id") is not None:
            try:
                ids = parse_ids(workspace)
            except ValueError:
                ids = []
            if len(ids) == 1:
                return self.repo.find(spec.collection, "workspace_id", ids[0])
        return self.repo.all(spec.collection)
