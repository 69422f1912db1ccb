"""Create, update and delete of catalogue resources, with validation, nested external references and
change events, each write in one transaction.

Bulk creates (``{"time_entries": [...]}``, at most 100) are all-or-nothing: when any object fails, nothing
is stored and every error is reported, its ``field`` prefixed with the object's index
(``time_entries[3].date_performed``) [U: the real API's bulk error shape is not documented].
"""

from __future__ import annotations

from typing import Any

from concord.sandbox.kantata import external_refs
from concord.sandbox.kantata.errors import ErrorItem, humanize, invalid, validation_failed
from concord.sandbox.kantata.events import EventFeed
from concord.sandbox.kantata.fields import FieldValueError, coerce, is_blank
from concord.sandbox.kantata.hooks import Record, WriteContext
from concord.sandbox.kantata.repository import KantataRepository
from concord.sandbox.kantata.specs import ResourceSpec

MAX_BULK = 100


class WriteService:
    """Applies writes to the repository and records their events."""

    def __init__(self, repo: KantataRepository, feed: EventFeed) -> None:
        self.repo = repo
        self.feed = feed

    # -- create ------------------------------------------------------------------------------------------

    def create(
        self, spec: ResourceSpec, payloads: list[dict[str, Any]], ctx: WriteContext, *, bulk: bool
    ) -> list[Record]:
        """Validate and store new records (all or none); returns them in request order with their ids."""
        prepared: list[tuple[Record, dict[str, Any] | None]] = []
        errors: list[ErrorItem] = []
        for index, payload in enumerate(payloads):
            record, reference, item_errors = self._build(spec, payload, None, ctx)
            if bulk:
                item_errors = [_indexed(spec, index, error) for error in item_errors]
            errors += item_errors
            prepared.append((record, reference))
        if errors:
            raise validation_failed(errors)
        with self.repo.transaction():
            saved = self.repo.insert_many(spec.collection, [record for record, _ in prepared])
            for record, (_, reference) in zip(saved, prepared, strict=True):
                if reference is not None:
                    external_refs.attach(self.repo, spec.subject_type, record["id"], reference, ctx.now)
            self.feed.record(spec, "created", [(None, record) for record in saved], ctx)
        return saved

    # -- update ------------------------------------------------------------------------------------------

    def update(self, spec: ResourceSpec, old: Record, payload: dict[str, Any], ctx: WriteContext) -> Record:
        """Validate and apply changes to ``old``; ``updated_at`` moves only when something changed."""
        record, reference, errors = self._build(spec, payload, old, ctx)
        if errors:
            raise validation_failed(errors)
        changed = any(record.get(key) != old.get(key) for key in {*record, *old} if key != "updated_at")
        if not changed and reference is None:
            return old
        if changed:
            record["updated_at"] = ctx.now
        with self.repo.transaction():
            saved = self.repo.replace(spec.collection, record) if changed else old
            if reference is not None:
                external_refs.attach(self.repo, spec.subject_type, saved["id"], reference, ctx.now)
            if changed:
                self.feed.record(spec, "updated", [(old, saved)], ctx)
        return saved

    # -- delete ------------------------------------------------------------------------------------------

    def delete(self, spec: ResourceSpec, records: list[Record], ctx: WriteContext) -> None:
        """Delete records (all or none): soft for tasks (``deleted_at``), otherwise gone from every read."""
        errors = [error for record in records for error in spec.hooks.before_delete(record, ctx)]
        if errors:
            raise validation_failed(errors)
        with self.repo.transaction():
            for record in records:
                if spec.soft_delete:
                    self.repo.replace(
                        spec.collection, {**record, "deleted_at": ctx.now, "updated_at": ctx.now}
                    )
                else:
                    self.repo.remove(spec.collection, record["id"])
                    external_refs.detach_all(self.repo, spec.subject_type, record["id"])
            self.feed.record(spec, "deleted", [(record, None) for record in records], ctx)

    # -- building ----------------------------------------------------------------------------------------

    def _build(
        self, spec: ResourceSpec, payload: dict[str, Any], old: Record | None, ctx: WriteContext
    ) -> tuple[Record, dict[str, Any] | None, list[ErrorItem]]:
        record: Record = dict(old) if old is not None else {}
        errors: list[ErrorItem] = []
        for field in spec.creatable_fields if old is None else spec.updatable_fields:
            if field.name not in payload:
                continue
            try:
                record[field.name] = coerce(field, payload[field.name])
            except FieldValueError as exc:
                errors.append(invalid(field.name, f"{humanize(field.name)} {exc}"))
        if old is None:
            failed = {error.field for error in errors}
            for field in spec.required_fields:
                if field.name not in failed and is_blank(record.get(field.name)):
                    errors.append(invalid(field.name, f"{humanize(field.name)} can't be blank"))
            record["created_at"] = ctx.now
            record["updated_at"] = ctx.now
        errors += _missing_references(spec, record, old, errors, ctx)
        reference = None
        if spec.external_references and "external_reference" in payload:
            reference, ref_errors = external_refs.parse_reference(payload["external_reference"])
            errors += ref_errors
        if errors:
            return record, reference, errors
        spec.hooks.prepare(record, old, ctx)
        errors += spec.hooks.validate(record, old, ctx)
        return record, reference, errors


def _missing_references(
    spec: ResourceSpec, record: Record, old: Record | None, errors: list[ErrorItem], ctx: WriteContext
) -> list[ErrorItem]:
    missing: list[ErrorItem] = []
    failed = {error.field for error in errors} if errors else ()
    for field in spec.reference_fields:
        value = record.get(field.name)
        if value is None or field.name in failed or (old is not None and value == old.get(field.name)):
            continue
        assert field.target is not None
        if ctx.reader.get(field.target, str(value)) is None:
            missing.append(invalid(field.name, f"{humanize(field.name)} must exist"))
    return missing


def _indexed(spec: ResourceSpec, index: int, error: ErrorItem) -> ErrorItem:
    where = f"{spec.collection}[{index}]"
    return ErrorItem(error.type, error.message, f"{where}.{error.field}" if error.field else where)
