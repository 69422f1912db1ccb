"""Query filters: the ones every index endpoint has, external-reference look-ups, and helpers that
resource catalogues use to declare their own filters.

Unknown parameters are ignored, as Rails ignores them; a malformed value for a known filter is a 400.
"""

from __future__ import annotations

from collections.abc import Mapping

from concord.sandbox.kantata.errors import bad_request
from concord.sandbox.kantata.hooks import FilterFactory, Predicate, Record, RecordReader
from concord.sandbox.kantata.specs import ResourceSpec
from concord.sandbox.kantata.timefmt import format_timestamp, parse_date_range, parse_timestamp

MAX_EXTERNAL_REFS = 200

_TIME_FILTERS = {
    "created_after": ("created_at", ">"),
    "created_before": ("created_at", "<"),
    "updated_after": ("updated_at", ">"),
    "updated_before": ("updated_at", "<"),
}

_EXTERNAL_EQUALS = {
    "external_reference_service_name": "service_name",
    "external_reference_service_model": "service_model",
    "external_reference_service_model_ref": "service_model_ref",
    "external_reference_status": "status",
    "external_reference_external_status": "external_status",
    "external_reference_external_message": "external_message",
}


def parse_bool(text: str) -> bool:
    """Kantata's boolean query values (``true``/``false``/``1``/``0``)."""
    value = text.strip().lower()
    if value in ("true", "1", "t", "yes"):
        return True
    if value in ("false", "0", "f", "no"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_ids(text: str) -> list[str]:
    """A comma-separated list of integer ids, as strings."""
    ids = [part.strip() for part in text.split(",") if part.strip()]
    for item in ids:
        if not item.isdigit():
            raise ValueError(f"not an id: {item!r}")
    return [str(int(item)) for item in ids]


def common_predicates(spec: ResourceSpec, params: Mapping[str, str], reader: RecordReader) -> list[Predicate]:
    """Predicates for the filters every index endpoint accepts, plus the resource's own filters.

    Raises:
        KantataApiError: 400 for a malformed filter value.
    """
    predicates: list[Predicate] = [
        _time_predicate(attribute, op, bound) for attribute, op, bound in time_bounds(params)
    ]
    search = params.get("search", "").strip().lower()
    if search and spec.searchable:
        predicates.append(lambda record: _matches_search(record, spec.searchable, search))
    if spec.external_references:
        external = external_reference_predicate(spec, params, reader)
        if external is not None:
            predicates.append(external)
    for name, factory in spec.hooks.filters.items():
        if name in params:
            try:
                predicates.append(factory(params[name], reader))
            except ValueError as exc:
                raise bad_request(f"Invalid value for filter '{name}': {exc}") from exc
    return predicates


def time_bounds(params: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The time filters of a query (``updated_after``...) as (attribute, ``>`` or ``<``, bound in the
    stored format); records pass when ``str(record[attribute] or "") <op> bound``.

    Raises:
        KantataApiError: 400 for a value that is no ISO 8601 datetime.
    """
    bounds = []
    for name, (attribute, op) in _TIME_FILTERS.items():
        if name in params:
            value = params[name]
            try:
                bound = format_timestamp(parse_timestamp(value))
            except ValueError as exc:
                raise bad_request(f"Invalid ISO 8601 datetime for '{name}': {value!r}") from exc
            bounds.append((attribute, op, bound))
    return bounds


def _time_predicate(attribute: str, op: str, bound: str) -> Predicate:
    # Stored timestamps share one UTC format, so text order is time order.
    if op == ">":
        return lambda record: str(record.get(attribute) or "") > bound
    return lambda record: str(record.get(attribute) or "") < bound


def _matches_search(record: Record, attributes: tuple[str, ...], needle: str) -> bool:
    return any(needle in str(record.get(attribute) or "").lower() for attribute in attributes)


def external_reference_predicate(
    spec: ResourceSpec, params: Mapping[str, str], reader: RecordReader
) -> Predicate | None:
    """Filter records by the external references attached to them (all criteria on the same reference).

    Raises:
        KantataApiError: 400 when more than 200 external ids are given.
    """
    criteria = {attr: params[name] for name, attr in _EXTERNAL_EQUALS.items() if name in params}
    refs_text = params.get("external_reference_service_model_refs")
    has_refs = params.get("has_external_references")
    without = params.get("without_external_reference_service_name")
    if not criteria and refs_text is None and has_refs is None and without is None:
        return None
    refs = reader.find("external_references", "subject_type", spec.subject_type)
    predicates: list[Predicate] = []
    if criteria or refs_text is not None:
        wanted = _split_refs(refs_text) if refs_text is not None else None
        matching = {
            ref["subject_id"]
            for ref in refs
            if all(str(ref.get(attr)) == value for attr, value in criteria.items())
            and (wanted is None or str(ref.get("service_model_ref")) in wanted)
        }
        predicates.append(lambda record: record["id"] in matching)
    if has_refs is not None:
        try:
            flag = parse_bool(has_refs)
        except ValueError as exc:
            raise bad_request(f"Invalid value for filter 'has_external_references': {exc}") from exc
        with_refs = {ref["subject_id"] for ref in refs}
        predicates.append(lambda record: (record["id"] in with_refs) == flag)
    if without is not None:
        excluded = {ref["subject_id"] for ref in refs if ref.get("service_name") == without}
        predicates.append(lambda record: record["id"] not in excluded)
    return lambda record: all(predicate(record) for predicate in predicates)


def _split_refs(text: str) -> set[str]:
    refs = {part.strip() for part in text.split(",") if part.strip()}
    if len(refs) > MAX_EXTERNAL_REFS:
        raise bad_request(f"external_reference_service_model_refs accepts at most {MAX_EXTERNAL_REFS} ids")
    return refs


def equals(attribute: str) -> FilterFactory:
    """Filter on one attribute equal to an id-like value (``workspace_id=55``)."""

    def factory(value: str, reader: RecordReader) -> Predicate:
        wanted = parse_ids(value)
        if len(wanted) != 1:
            raise ValueError(f"expected one id, got {value!r}")
        return lambda record: record.get(attribute) == wanted[0]

    return factory


def one_of(attribute: str) -> FilterFactory:
    """Filter on one attribute being in a comma-separated id list (``workspace_ids=1,2,3``)."""

    def factory(value: str, reader: RecordReader) -> Predicate:
        wanted = set(parse_ids(value))
        return lambda record: record.get(attribute) in wanted

    return factory


def text_one_of(attribute: str) -> FilterFactory:
    """Filter on one attribute being in a comma-separated list of words (``statuses=new,approved``)."""

    def factory(value: str, reader: RecordReader) -> Predicate:
        wanted = {part.strip() for part in value.split(",") if part.strip()}
        return lambda record: str(record.get(attribute)) in wanted

    return factory


def flag(attribute: str) -> FilterFactory:
    """Filter on a boolean attribute (``billable=true``)."""

    def factory(value: str, reader: RecordReader) -> Predicate:
        wanted = parse_bool(value)
        return lambda record: bool(record.get(attribute)) == wanted

    return factory


def date_between(attribute: str) -> FilterFactory:
    """Filter on a date attribute within ``YYYY-MM-DD:YYYY-MM-DD`` (inclusive)."""

    def factory(value: str, reader: RecordReader) -> Predicate:
        start, end = parse_date_range(value)
        low, high = start.isoformat(), end.isoformat()
        return lambda record: bool(record.get(attribute)) and low <= str(record[attribute]) <= high

    return factory
