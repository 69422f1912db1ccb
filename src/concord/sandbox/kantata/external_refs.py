"""External references: how Kantata links its records to other systems' ids.

An external reference belongs to one subject (``subject_type`` + ``subject_id``) and names the other
system's record (``service_name``, ``service_model``, ``service_model_ref``) with a sync ``status``
(``successful``/``pending``/``failed``), ``external_status``, ``external_message``, ``external_link`` and
``locked``. A subject has at most one reference per ``service_name``. They are written nested in a
subject's create/update body (``"external_reference": {...}``) or through
``POST /external_references/create_or_update.json``, listed with ``GET /external_references.json``
(``subject_type`` required) and used to find records by foreign id with the ``external_reference_*``
filters of every index endpoint. There is no native upsert by foreign id.
"""

from __future__ import annotations

from typing import Any

from concord.sandbox.kantata.errors import ErrorItem, invalid
from concord.sandbox.kantata.fields import FieldKind as K
from concord.sandbox.kantata.fields import FieldSpec as F
from concord.sandbox.kantata.fields import FieldValueError, coerce, is_blank
from concord.sandbox.kantata.filters import equals, text_one_of
from concord.sandbox.kantata.hooks import FilterFactory, Predicate, Record, RecordReader, ResourceHooks
from concord.sandbox.kantata.repository import KantataRepository
from concord.sandbox.kantata.specs import PolymorphicSubject, ResourceSpec
from concord.sandbox.kantata.timefmt import format_timestamp, parse_timestamp

COLLECTION = "external_references"
REQUIRED = ("service_name", "service_model", "service_model_ref")
_STATUS = ("successful", "pending", "failed")
_ATTRIBUTES = (
    F("service_name", K.STRING, max_length=255),
    F("service_model", K.STRING, max_length=255),
    F("service_model_ref", K.STRING, max_length=255),
    F("status", K.CHOICE, choices=_STATUS),
    F("external_link", K.STRING),
    F("external_status", K.STRING),
    F("external_message", K.STRING),
    F("locked", K.BOOLEAN),
)


def _after(attribute: str, op: str) -> FilterFactory:
    def factory(value: str, reader: RecordReader) -> Predicate:
        bound = format_timestamp(parse_timestamp(value))
        if op == ">":
            return lambda record: str(record.get(attribute) or "") > bound
        return lambda record: str(record.get(attribute) or "") < bound

    return factory


EXTERNAL_REFERENCES = ResourceSpec(
    collection=COLLECTION,
    singular="external_reference",
    subject_type="ExternalReference",
    event_subject="external_reference",
    fields=(F("subject_type", K.STRING), F("subject_id", K.REFERENCE), *_ATTRIBUTES),
    associations={"subject": PolymorphicSubject()},
    orders=("created_at", "last_synced_at"),
    default_order="last_synced_at:desc",
    external_references=False,
    emits_events=False,
    hooks=ResourceHooks(
        filters={
            "subject_type": text_one_of("subject_type"),
            "subject_id": equals("subject_id"),
            "service_name": text_one_of("service_name"),
            "service_model": text_one_of("service_model"),
            "service_model_ref": text_one_of("service_model_ref"),
            "status": text_one_of("status"),
            "external_status": text_one_of("external_status"),
            "external_message": text_one_of("external_message"),
            "last_synced_after": _after("last_synced_at", ">"),
            "last_synced_before": _after("last_synced_at", "<"),
        }
    ),
)


def parse_reference(body: Any, prefix: str = "external_reference") -> tuple[dict[str, Any], list[ErrorItem]]:
    """Cast a nested ``external_reference`` object; the three service attributes are required."""
    if not isinstance(body, dict):
        return {}, [invalid(prefix, "External reference must be an object")]
    values: dict[str, Any] = {}
    errors: list[ErrorItem] = []
    for spec in _ATTRIBUTES:
        if spec.name not in body:
            continue
        try:
            values[spec.name] = coerce(spec, body[spec.name])
        except FieldValueError as exc:
            errors.append(invalid(f"{prefix}.{spec.name}", f"External reference {spec.name} {exc}"))
    for name in REQUIRED:
        if is_blank(body.get(name)):
            errors.append(invalid(f"{prefix}.{name}", f"External reference {name} can't be blank"))
    return values, errors


def attach(
    repo: KantataRepository, subject_type: str, subject_id: str, values: dict[str, Any], now: str
) -> Record:
    """Create or update the subject's reference for ``values["service_name"]`` (one per service)."""
    existing = [
        ref
        for ref in repo.find(COLLECTION, "subject_id", subject_id)
        if ref.get("subject_type") == subject_type and ref.get("service_name") == values["service_name"]
    ]
    if existing:
        updated = {**existing[0], **values, "updated_at": now, "last_synced_at": now}
        return repo.replace(COLLECTION, updated)
    record = {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "status": None,
        "external_link": None,
        "external_status": None,
        "external_message": None,
        "locked": False,
        **values,
        "created_at": now,
        "updated_at": now,
        "last_synced_at": now,
    }
    return repo.insert_many(COLLECTION, [record])[0]


def detach_all(repo: KantataRepository, subject_type: str, subject_id: str) -> None:
    """Remove a deleted subject's references."""
    for ref in repo.find(COLLECTION, "subject_id", subject_id):
        if ref.get("subject_type") == subject_type:
            repo.remove(COLLECTION, ref["id"])
