"""Record writes with the platform's rules: validation, defaults, derived fields, audit fields, reference
and uniqueness checks, cascade delete, the Opportunity amount roll-up, and one change event per change.

Every public method runs in a store transaction (a savepoint when nested), so a failed write leaves
nothing behind; callers group several writes into one all-or-none transaction the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from concord.sandbox.core.clock import Clock
from concord.sandbox.core.docschema import DuplicateKeyError
from concord.sandbox.salesforce.cdc import ChangeLog
from concord.sandbox.salesforce.errors import MissingRecordError, MultipleMatchesError, RecordError
from concord.sandbox.salesforce.ids import IdGenerator
from concord.sandbox.salesforce.records.context import CallContext
from concord.sandbox.salesforce.records.derived import apply_derived, rolled_up_amount
from concord.sandbox.salesforce.records.repository import Record, RecordRepository
from concord.sandbox.salesforce.records.validation import missing_required, prepare_fields
from concord.sandbox.salesforce.schema.catalog import Catalog
from concord.sandbox.salesforce.schema.fields import FieldDef, SObjectDef
from concord.sandbox.salesforce.values import Stored, format_datetime, to_stored

_log = logging.getLogger(__name__)
_MILLISECOND = timedelta(milliseconds=1)
_AUDIT = frozenset({"LastModifiedDate", "LastModifiedById", "SystemModstamp", "IsDeleted"})


class RecordService:
    """Creates, updates, upserts, deletes and undeletes records of the emulated org."""

    def __init__(
        self,
        repo: RecordRepository,
        catalog: Catalog,
        clock: Clock,
        id_generator: IdGenerator,
        changes: ChangeLog,
    ) -> None:
        self.repo = repo
        self.catalog = catalog
        self.clock = clock
        self.ids = id_generator
        self.changes = changes
        self._default_values: dict[str, dict[str, Stored]] = {}
        self._last_now: tuple[datetime, datetime, str] | None = None

    # -- create / update / upsert ---------------------------------------------------------------------

    def create(
        self, sobject: SObjectDef, body: Any, ctx: CallContext, *, fixed: Mapping[str, Stored] | None = None
    ) -> str:
        """Insert a record from a JSON body (plus ``fixed`` stored values); return its id.

        Raises:
            RecordError: the platform's DML error for an invalid record.
        """
        if not sobject.createable:
            raise RecordError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {sobject.name} does not support create"
            )
        fixed = fixed or {}
        ignore = frozenset(name.lower() for name in fixed)
        supplied = {**self._prepare(sobject, body, creating=True, ignore=ignore), **fixed}
        with self.repo.transaction():
            record = self._new_record(sobject, supplied, ctx)
            self._insert(sobject, record)
            self.changes.append(sobject, "CREATE", record, [], ctx)
            self._after_write(sobject, record, ctx)
        return str(record["Id"])

    def create_each(
        self, items: Sequence[tuple[SObjectDef, Any] | RecordError], ctx: CallContext, *, all_or_none: bool
    ) -> list[str | RecordError] | None:
        """Create many records as ``create`` called for each in turn would (sObject Collections), with
        the writes of the whole call sent to the store together.

        Each item is an object and a JSON body, or the error the caller already decided for it. Without
        ``all_or_none`` every record is its own transaction (a fresh ``ctx.new_transaction()``); with it
        they share ``ctx`` and one failure leaves nothing written. Records are checked in order against
        the stored data and the records accepted before them (unique values, parents), so the outcome is
        the one-by-one outcome; nothing is written until all are checked.

        Returns:
            Per item, the new record's id or its error; ``None`` when the call needs the one-by-one path
            (a parent given by external id, opportunity line items and their roll-up, an unexpected
            error), in which case nothing was written.
        """
        try:
            with self.repo.transaction():
                return self._create_each(items, ctx, all_or_none)
        except _OneByOne:
            return None
        except Exception:
            # The one-by-one path meets the same error where it arises, and keeps what was written
            # before it, as the platform does.
            _log.debug("batched create gave way to the one-by-one path", exc_info=True)
            return None

    def _create_each(
        self, items: Sequence[tuple[SObjectDef, Any] | RecordError], ctx: CallContext, all_or_none: bool
    ) -> list[str | RecordError]:
        pending = _Pending()
        outcomes: list[str | RecordError] = []
        accepted: list[tuple[SObjectDef, Record]] = []
        events: list[dict[str, Any]] = []
        for item in items:
            if isinstance(item, RecordError):
                outcomes.append(item)
                continue
            sobject, body = item
            if sobject.name in _ROLLED_UP:
                raise _OneByOne
            record_ctx = ctx if all_or_none else ctx.new_transaction()
            try:
                if not sobject.createable:
                    raise RecordError(
                        "INVALID_TYPE_FOR_OPERATION", f"entity type {sobject.name} does not support create"
                    )
                supplied = prepare_fields(
                    sobject, body, creating=True, catalog=self.catalog, lookup=_no_lookup
                )
                record = self._new_record(sobject, supplied, record_ctx, pending)
            except RecordError as error:
                outcomes.append(error)
                continue
            pending.add(sobject, record)
            accepted.append((sobject, record))
            event = self.changes.event(sobject, "CREATE", record, [], record_ctx)
            if event is not None:
                events.append(event)
            outcomes.append(str(record["Id"]))
        if all_or_none and any(isinstance(outcome, RecordError) for outcome in outcomes):
            return outcomes
        if accepted:
            try:
                self.repo.insert_many(accepted)
            except DuplicateKeyError:
                raise _OneByOne from None
            self.changes.append_many(events)
        return outcomes

    def update(
        self,
        sobject: SObjectDef,
        record_id: str,
        body: Any,
        ctx: CallContext,
        *,
        ignore: frozenset[str] = frozenset(),
    ) -> str:
        """Apply a JSON body to an existing record; return its id.

        Raises:
            MissingRecordError: no live record has ``record_id``.
            RecordError: the platform's DML error for an invalid change.
        """
        if not sobject.updateable:
            raise RecordError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {sobject.name} does not support update"
            )
        supplied = self._prepare(sobject, body, creating=False, ignore=ignore)
        with self.repo.transaction():
            current = self.live(sobject, record_id)
            record = {**current, **supplied}
            apply_derived(sobject.name, record, supplied)
            nulled = [
                f.name
                for f in sobject.fields
                if f.name in supplied and supplied[f.name] is None and not f.nillable
            ]
            if nulled:
                raise RecordError(
                    "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(nulled)}]", nulled
                )
            self._check_references(sobject, supplied)
            self._check_unique(sobject, record)
            changed = [
                f.name
                for f in sobject.fields
                if f.name not in _AUDIT and record.get(f.name) != current.get(f.name)
            ]
            self._stamp(record, ctx)
            self._replace(sobject, record)
            if changed:
                audit = ["LastModifiedDate"] + (
                    ["LastModifiedById"] if current.get("LastModifiedById") != ctx.user_id else []
                )
                self.changes.append(sobject, "UPDATE", record, changed + audit, ctx)
            self._after_write(sobject, record, ctx)
        return record_id

    def upsert(
        self, sobject: SObjectDef, ext_field: FieldDef, value: str, body: Any, ctx: CallContext
    ) -> tuple[str, bool]:
        """Update the record whose external id ``ext_field`` is ``value``, or create it.

        Returns:
            The record id and whether it was created.

        Raises:
            MultipleMatchesError: several records carry ``value``.
            RecordError: the platform's DML error.
        """
        with self.repo.transaction():
            matches = self.repo.find_by_external_id(sobject, ext_field.name, value)
            if len(matches) > 1:
                raise MultipleMatchesError([str(m["Id"]) for m in matches])
            if matches:
                return self.update(sobject, str(matches[0]["Id"]), body, ctx), False
            return self.create(sobject, body, ctx, fixed={ext_field.name: to_stored(ext_field, value)}), True

    # -- delete / undelete ----------------------------------------------------------------------------

    def delete(self, sobject: SObjectDef, record_id: str, ctx: CallContext) -> None:
        """Move a record (and its master-detail children) to the recycle bin.

        Raises:
            MissingRecordError: no live record has ``record_id``.
        """
        if not sobject.deletable:
            raise RecordError("INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")
        with self.repo.transaction():
            self._delete(sobject, record_id, ctx, cascading=False)

    def _delete(self, sobject: SObjectDef, record_id: str, ctx: CallContext, *, cascading: bool) -> None:
        record = self.live(sobject, record_id)
        for child, reference in self.catalog.children_of(sobject.name):
            if reference.cascade_delete:
                for kid in self.repo.find_by(child, reference.name, record_id):
                    self._delete(child, str(kid["Id"]), ctx, cascading=True)
        self._stamp(record, ctx)
        record["IsDeleted"] = True
        self.repo.soft_delete(sobject, record)
        self.changes.append(sobject, "DELETE", record, [], ctx)
        if not cascading:
            # A parent deleted with its children keeps its last values (no roll-up on the way out).
            self._after_write(sobject, record, ctx)

    def undelete(self, sobject: SObjectDef, record_id: str, ctx: CallContext) -> str:
        """Restore a record from the recycle bin.

        Raises:
            MissingRecordError: the record does not exist.
            RecordError: UNDELETE_FAILED when it is not deleted.
        """
        with self.repo.transaction():
            record = self.repo.get(sobject.name, record_id, include_deleted=True)
            if record is None:
                raise MissingRecordError(record_id, deleted=False)
            if not record.get("IsDeleted"):
                raise RecordError("UNDELETE_FAILED", "Entity is not in the recycle bin")
            record["IsDeleted"] = False
            self._check_unique(sobject, record)
            self._stamp(record, ctx)
            self.repo.undelete(sobject, record)
            self.changes.append(sobject, "UNDELETE", record, [], ctx)
            self._after_write(sobject, record, ctx)
        return record_id

    # -- helpers --------------------------------------------------------------------------------------

    def live(self, sobject: SObjectDef, record_id: str) -> Record:
        """The live record with this id.

        Raises:
            MissingRecordError: it does not exist or is deleted.
        """
        record = self.repo.get(sobject.name, record_id, include_deleted=True)
        if record is None or record.get("IsDeleted"):
            raise MissingRecordError(record_id, deleted=record is not None)
        return record

    def lookup_external(self, sobject: SObjectDef, field_name: str, value: str) -> list[str]:
        """Ids of the live records whose external id ``field_name`` is ``value``."""
        return [str(r["Id"]) for r in self.repo.find_by_external_id(sobject, field_name, value)]

    def _prepare(
        self, sobject: SObjectDef, body: Any, *, creating: bool, ignore: frozenset[str]
    ) -> dict[str, Stored]:
        return prepare_fields(
            sobject, body, creating=creating, catalog=self.catalog, lookup=self.lookup_external, ignore=ignore
        )

    def _new_record(
        self,
        sobject: SObjectDef,
        supplied: dict[str, Stored],
        ctx: CallContext,
        pending: _Pending | None = None,
    ) -> Record:
        record: Record = dict(self._defaults(sobject))
        record.update(supplied)
        now = self._now_text()
        user_id = ctx.user_id
        record["Id"] = self.ids.new_id(sobject.key_prefix)
        record["IsDeleted"] = False
        record["CreatedDate"] = now
        record["CreatedById"] = user_id
        record["LastModifiedDate"] = now
        record["LastModifiedById"] = user_id
        record["SystemModstamp"] = now
        if sobject.owned and not record.get("OwnerId"):
            record["OwnerId"] = user_id
        apply_derived(sobject.name, record, supplied)
        error = missing_required(sobject, record)
        if error is not None:
            raise error
        self._check_references(sobject, supplied, pending)
        self._check_unique(sobject, record, pending)
        return {k: v for k, v in record.items() if v is not None}

    def _defaults(self, sobject: SObjectDef) -> dict[str, Stored]:
        """The stored defaults a new record of ``sobject`` starts from (computed once per object)."""
        defaults = self._default_values.get(sobject.name)
        if defaults is None:
            defaults = {f.name: _stored_default(f) for f in sobject.defaulted}
            self._default_values[sobject.name] = defaults
        return defaults

    def _now_text(self) -> str:
        """``format_datetime`` of the clock's now. The text shows milliseconds, so the text of the last
        millisecond is kept with its bounds: the records of one call mostly fall within a few."""
        now = self.clock.now()
        last = self._last_now
        if last is not None and last[0] <= now < last[1]:
            return last[2]
        start = now.replace(microsecond=now.microsecond - now.microsecond % 1000)
        text = format_datetime(now)
        self._last_now = (start, start + _MILLISECOND, text)
        return text

    def _stamp(self, record: Record, ctx: CallContext) -> None:
        now = format_datetime(self.clock.now())
        record.update(LastModifiedDate=now, SystemModstamp=now, LastModifiedById=ctx.user_id)

    def _check_references(
        self, sobject: SObjectDef, supplied: Mapping[str, Stored], pending: _Pending | None = None
    ) -> None:
        references = sobject.reference_fields
        for name, value in supplied.items():
            field_def = references.get(name)
            if field_def is None or not isinstance(value, str):
                continue
            target = self.catalog.for_id(value)
            if target is None or target.name != field_def.reference_to:
                raise RecordError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{field_def.label}: id value of incorrect type: {value}",
                    [name],
                )
            parent = pending.records.get(value) if pending is not None else None
            if parent is None:
                parent = self.repo.get(target.name, value, include_deleted=True)
            if parent is None:
                raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [name])
            if parent.get("IsDeleted"):
                raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [name])

    def _check_unique(
        self, sobject: SObjectDef, record: Mapping[str, Stored], pending: _Pending | None = None
    ) -> None:
        for field_def in sobject.unique_fields:
            value = record.get(field_def.name)
            if not isinstance(value, str):
                continue
            holder = pending.holder(sobject, field_def, value) if pending is not None else None
            if holder is not None:
                raise RecordError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {field_def.name} duplicates value on record with id: {holder}",
                    [field_def.name],
                )
            if field_def.external_id:
                others = [
                    r
                    for r in self.repo.find_by_external_id(sobject, field_def.name, value)
                    if r["Id"] != record["Id"]
                ]
            else:
                others = [
                    r for r in self.repo.find_by(sobject, field_def.name, value) if r["Id"] != record["Id"]
                ]
            if others:
                raise RecordError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {field_def.name} duplicates value on record with id: "
                    f"{others[0]['Id']}",
                    [field_def.name],
                )

    def _insert(self, sobject: SObjectDef, record: Record) -> None:
        try:
            self.repo.insert(sobject, record)
        except DuplicateKeyError as exc:
            raise RecordError("DUPLICATE_VALUE", f"duplicate value found: {exc.key}", [exc.key]) from exc

    def _replace(self, sobject: SObjectDef, record: Record) -> None:
        try:
            self.repo.replace(sobject, {k: v for k, v in record.items() if v is not None})
        except DuplicateKeyError as exc:
            raise RecordError("DUPLICATE_VALUE", f"duplicate value found: {exc.key}", [exc.key]) from exc

    def _after_write(self, sobject: SObjectDef, record: Mapping[str, Stored], ctx: CallContext) -> None:
        """Roll line item totals up into their opportunity's Amount."""
        if sobject.name != "OpportunityLineItem" or not isinstance(record.get("OpportunityId"), str):
            return
        opportunity_def = self.catalog.get("Opportunity")
        opportunity_id = str(record["OpportunityId"])
        opportunity = self.repo.get("Opportunity", opportunity_id)
        if opportunity_def is None or opportunity is None:
            return
        amount = rolled_up_amount(self.repo.find_by(sobject, "OpportunityId", opportunity_id))
        if opportunity.get("Amount") != amount:
            self._set_amount(opportunity_def, opportunity_id, amount, ctx)

    def _set_amount(
        self, opportunity_def: SObjectDef, opportunity_id: str, amount: str, ctx: CallContext
    ) -> None:
        current = self.live(opportunity_def, opportunity_id)
        record = {**current, "Amount": amount}
        apply_derived(opportunity_def.name, record, {"Amount": amount})
        changed = [name for name in ("Amount", "ExpectedRevenue") if record.get(name) != current.get(name)]
        self._stamp(record, ctx)
        self._replace(opportunity_def, record)
        self.changes.append(opportunity_def, "UPDATE", record, [*changed, "LastModifiedDate"], ctx)


def _stored_default(field_def: FieldDef) -> Stored:
    default = field_def.default
    return default if isinstance(default, str | int | bool) else None


_ROLLED_UP = frozenset({"OpportunityLineItem"})
"""Objects whose writes change another record (the line items' amount roll-up): ``create_each`` leaves
them to the one-by-one path."""


class _OneByOne(Exception):
    """``create_each`` cannot batch this call (nothing was written)."""


def _no_lookup(sobject: SObjectDef, field_name: str, value: str) -> list[str]:
    # A parent named by external id may be a record of the same call: the one-by-one path finds it.
    raise _OneByOne


class _Pending:
    """The records a ``create_each`` call accepted so far, as later records of the call must see them."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self._unique: dict[tuple[str, str, str], str] = {}

    @staticmethod
    def _key(sobject: SObjectDef, field_def: FieldDef, value: str) -> tuple[str, str, str]:
        # External ids match case-insensitively (as find_by_external_id does), other unique fields exactly.
        return (sobject.name, field_def.name, value.casefold() if field_def.external_id else value)

    def holder(self, sobject: SObjectDef, field_def: FieldDef, value: str) -> str | None:
        """The id of an accepted record holding ``value`` in the unique field ``field_def``."""
        return self._unique.get(self._key(sobject, field_def, value))

    def add(self, sobject: SObjectDef, record: Record) -> None:
        record_id = str(record["Id"])
        self.records[record_id] = record
        for field_def in sobject.unique_fields:
            value = record.get(field_def.name)
            if isinstance(value, str):
                self._unique[self._key(sobject, field_def, value)] = record_id
