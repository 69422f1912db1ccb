"""Two behavioural fake systems holding canonical customers, for governance and echo tests.

Each system keeps its records by its own id and numbers every modification. Change detection returns,
like a real poll, the current state of every record modified since the cursor (intermediate states
collapse). Concord's upserts (by global id, the external id) modify records like a person's edit does, so
the next detection brings them back: that is the echo. Every write Concord makes is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from concord.domain.ids import new_id
from concord.domain.messages import Change, CommandEnvelope
from concord.domain.objects import ENVELOPE_FIELDS, Customer
from concord.engine.errors import Classification
from concord.engine.ports import DetectedChanges, Failed, Outcome, Succeeded

OBJECT = "Customer"
CORRELATION = "4bf92f3577b34da6a3ce929d0e0e4736"
BUSINESS_FIELDS = tuple(name for name in Customer.model_fields if name not in ENVELOPE_FIELDS)


class Ticker:
    """The clock both systems share: every modification happens one second after the last."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class StoredCustomer:
    """A customer as one system holds it."""

    system_id: str
    global_id: str
    fields: dict[str, Any]
    seq: int
    changed_at: datetime


@dataclass
class FakeSystem:
    """One system (``salesforce``, ``netsuite``...) that Concord reads from and writes to."""

    name: str
    ticker: Ticker
    records: dict[str, StoredCustomer] = field(default_factory=dict)
    writes: list[CommandEnvelope] = field(default_factory=list)
    seq: int = 0

    # -- what people do in the system ----------------------------------------------------------------

    def add(self, global_id: str, **fields: Any) -> str:
        """A customer that exists before Concord runs; returns its id in this system."""
        system_id = f"{self.name[:2].upper()}-{len(self.records) + 1:04d}"
        self.seq += 1
        self.records[system_id] = StoredCustomer(system_id, global_id, fields, self.seq, self.ticker.tick())
        return system_id

    def edit(self, system_id: str, **fields: Any) -> None:
        """A person edits the record (an edit that changes nothing still makes a new version)."""
        self._modify(self.records[system_id], fields)

    def get(self, system_id: str) -> dict[str, Any]:
        """The record's business fields as the system holds them now."""
        return dict(self.records[system_id].fields)

    def by_global_id(self, global_id: str) -> StoredCustomer | None:
        return next((r for r in self.records.values() if r.global_id == global_id), None)

    # -- the connector ---------------------------------------------------------------------------------

    async def detect(self, object_type: str, cursor: str | None, limit: int) -> DetectedChanges:
        start = int(cursor or 0)
        due = sorted((r for r in self.records.values() if r.seq > start), key=lambda r: r.seq)
        page = due[:limit]
        changes = [self._change(r) for r in page] if object_type == OBJECT else []
        next_cursor = str(page[-1].seq) if page else cursor
        return DetectedChanges(changes, next_cursor, more=len(due) > limit)

    async def execute(self, commands: Sequence[CommandEnvelope]) -> Sequence[Outcome]:
        return [self._execute(c) for c in commands]

    def classify(self, error: BaseException) -> Classification:
        return Classification.of(error)

    def _execute(self, command: CommandEnvelope) -> Outcome:
        if command.action != "upsert" or command.object_type != OBJECT:
            return Failed(Classification(False, f"{self.name} cannot {command.action} {command.object_type}"))
        self.writes.append(command)
        values = {name: command.payload[name] for name in BUSINESS_FIELDS if name in command.payload}
        record = self.by_global_id(command.payload["global_id"])
        if record is None:
            system_id = self.add(command.payload["global_id"], **values)
            return Succeeded({"system_id": system_id})
        self._modify(record, values)
        return Succeeded({"system_id": record.system_id})

    def _modify(self, record: StoredCustomer, fields: dict[str, Any]) -> None:
        record.fields.update(fields)
        self.seq += 1
        record.seq = self.seq
        record.changed_at = self.ticker.tick()

    def _change(self, record: StoredCustomer) -> Change:
        customer = Customer(
            global_id=record.global_id,
            system_ids={self.name: record.system_id},
            source_system=self.name,
            source_changed_at=record.changed_at,
            source_version=str(record.seq),
            correlation_id=CORRELATION,
            **record.fields,
        )
        return Change(
            self.name,
            OBJECT,
            record.system_id,
            customer.model_dump(mode="json"),
            record.changed_at,
            version=str(record.seq),
        )


def two_systems() -> tuple[FakeSystem, FakeSystem]:
    """Salesforce and NetSuite on one clock."""
    ticker = Ticker()
    return FakeSystem("salesforce", ticker), FakeSystem("netsuite", ticker)


def new_customer_id() -> str:
    """A fresh global id."""
    return new_id()
