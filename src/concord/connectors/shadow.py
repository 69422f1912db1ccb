"""Shadow mode, per target system: flows run, the writes they would make are computed and diffed against
the target's current records, nothing is written, and the diff is recorded (``shadow_writes``) for
``concord shadow report``. This is how a firm switches Concord on next to its old integration.

Configuration: ``shadow = ["netsuite"]`` names the connectors whose writes are shadowed
(``bootstrap_from_settings`` wraps them here).

Why a wrapper around the platform connector, not a flag in the engine: the engine only knows commands,
while what a write *is* (the platform body, the record it addresses) is the platform connector's
knowledge. So a :class:`ShadowConnector` takes the engine's ``Connector`` place of one platform connector:

- **Reads pass through.** ``get`` and ``list`` (and change detection) go to the real connector, so flows
  decide on the facts as they are now.
- **Writes are computed, not sent.** An ``upsert``, ``update`` or ``delete`` is prepared exactly as a live
  write is (``PlatformConnector._prepare``: the same mapping, the same cross-reference look-ups, the same
  refusals), then the record it addresses (by the id the cross-reference knows, or the command names) is
  read through the connector's ``fetch`` and compared field by field (``concord.connectors.shadow_diff``).
- **Compared in the write form.** The record as read (SuiteQL text, ``M/D/YYYY`` dates, ``T``/``F``) is
  mapped to canonical values and back to a platform body with the same mapping, so both sides have the
  form Concord writes, and only what the record *means* can differ. A field the inbound mapping does not
  read (a write-only mapping, an outbound-only rule) is not compared: it is listed as unread with the value
  the write would set. The correlation field (a new value on every transaction) is left out.
- **The flow goes on as it would live.** The command settles as succeeded with the record's id when the
  target holds it, else with a marked shadow id (``shadow:<global id>``); ``shadow`` in the result says what
  the write would have done. A later write of the same connector that refers to a record created only in
  shadow (a contract naming its customer) resolves the reference to that shadow id, so it is computed too.
  A *live* connector's write never gets a shadow id: the cross-reference only ever holds real ids, so such
  a write is refused as it would be without the record (shadow every system whose records the flow's later
  writes name).
- **Once per command.** A row is kept per idempotency key: a retry or a replay adds none.

Two more pieces keep shadow mode from leaking into live operation:

- :class:`ShadowScreen` wraps the governance write screen: commands to shadowed targets are screened inside
  a savepoint that is rolled back, so they go out with the values a live write would carry (a newer golden
  value), but leave no "written" fingerprint in record memory. Otherwise, once shadow mode is switched
  off, Concord would believe it had written values it never wrote, and skip those writes as unchanged.
- Reads of records Concord knows only as shadow ids find nothing: every platform's ``fetch`` passes over
  ids that are not its own.

What shadow mode cannot show: a record the target holds under Concord's external id but the
cross-reference does not link is taken as absent ("create"), where a live upsert by external id would
update it; records created only in shadow cannot be read back by later steps.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import structlog

from concord.connectors.base import MappingScope, PlatformConnector, PlatformWrite, correlation_of, failure_of
from concord.connectors.platform import ConnectorServices
from concord.connectors.shadow_diff import CREATE, DELETE, UNREAD, UPDATE, Comparison, compare
from concord.domain.messages import CommandEnvelope
from concord.engine.errors import CannotEncode, Classification, ConcordError, Rejected
from concord.engine.gates import Screened, WriteScreen
from concord.engine.model import ClaimedCommand
from concord.engine.ports import Clock, Connector, DetectedChanges, Failed, Outcome, Succeeded
from concord.mapping import ObjectMapping
from concord.mapping.runtime import MappingFailure
from concord.settings import ConfigError
from concord.storage.sql.shadow_store import ShadowWrite

if TYPE_CHECKING:
    from datetime import datetime

    from concord.connectors.platform import PolledRecord
    from concord.storage.sql.store import SqlStore, Transaction

log = structlog.get_logger(__name__)

__all__ = [
    "SHADOW_PREFIX",
    "ShadowConnector",
    "ShadowLedger",
    "ShadowScreen",
    "is_shadow_id",
    "shadow_connectors",
    "shadow_id",
]

SHADOW_PREFIX = "shadow:"
WRITES = frozenset({"upsert", "update", "delete"})
"""The actions that change a target; every other action (``get``, ``list``) passes through."""


def shadow_id(global_id: str) -> str:
    """The id a record created only in shadow answers with: marked, so nobody takes it for a real one."""
    return f"{SHADOW_PREFIX}{global_id}"


def is_shadow_id(value: object) -> bool:
    """Whether ``value`` is a shadow id."""
    return isinstance(value, str) and value.startswith(SHADOW_PREFIX)


class ShadowLedger:
    """The ``shadow_writes`` table as shadow connectors use it; remembers the records created in shadow
    (they stay so), to resolve references to them without a query each."""

    CACHE_LIMIT = 100_000

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._created: set[tuple[str, str, str]] = set()

    def created(self, system: str, object_type: str, global_ids: Sequence[str]) -> set[str]:
        """Which of these records a shadowed write of ``system`` created."""
        found = {g for g in global_ids if (system, object_type, g) in self._created}
        unknown = [g for g in global_ids if g not in found]
        if unknown:
            with self.store.transaction() as tx:
                stored = tx.shadow.created(system, object_type, unknown)
            self._remember((system, object_type, g) for g in stored)
            found |= stored
        return found

    def is_created(self, system: str, object_type: str, global_id: str) -> bool:
        """Whether the record was created in shadow."""
        return bool(self.created(system, object_type, [global_id]))

    def record(self, writes: Sequence[ShadowWrite]) -> None:
        """Keep the writes (once per idempotency key)."""
        with self.store.transaction() as tx:
            tx.shadow.record(writes)
        self._remember((w.system, w.object_type, w.global_id) for w in writes if w.action == CREATE)

    def _remember(self, keys: Any) -> None:
        if len(self._created) >= self.CACHE_LIMIT:
            self._created.clear()
        self._created.update(keys)


class ShadowScope(MappingScope):
    """A connector's mapping context in shadow mode: a reference to a record created only in shadow
    resolves to its shadow id (live, it would resolve to the record Concord had created)."""

    def __init__(self, services: ConnectorServices, platform: str, name: str, ledger: ShadowLedger) -> None:
        super().__init__(services, platform, name)
        self.ledger = ledger

    def system_id(self, system: str, object_type: str, global_id: str) -> str | None:
        found = super().system_id(system, object_type, global_id)
        if found is None and self.ledger.is_created(self._system(system), object_type, global_id):
            return shadow_id(global_id)
        return found


class ShadowConnector:
    """The engine's ``Connector`` for a platform whose writes are shadowed (see the module)."""

    def __init__(self, inner: PlatformConnector, ledger: ShadowLedger, clock: Clock) -> None:
        self.inner = inner
        self.name = inner.name
        self.ledger = ledger
        self.clock = clock
        # Only this wrapper computes the inner connector's writes: its outbound look-ups may see shadow ids.
        inner.scope = ShadowScope(inner.services, inner.platform, inner.name, ledger)

    def __getattr__(self, name: str) -> Any:
        # Everything else (cursors, mappings, spec...) is the platform connector's.
        if name == "inner":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    async def detect(self, object_type: str, cursor: str | None, limit: int) -> DetectedChanges:
        return await self.inner.detect(object_type, cursor, limit)

    def classify(self, error: BaseException) -> Classification:
        return self.inner.classify(error)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def execute(self, commands: Sequence[CommandEnvelope]) -> Sequence[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(commands)
        groups: dict[tuple[str, str], list[int]] = {}
        for index, command in enumerate(commands):
            if command.action in WRITES:
                groups.setdefault((command.action, command.object_type), []).append(index)
        reads = [i for i, c in enumerate(commands) if c.action not in WRITES]
        if reads:
            answers = await self.inner.execute([commands[i] for i in reads])
            for index, answer in zip(reads, answers, strict=True):
                outcomes[index] = answer
        # One group after the other, in the batch's order, as live: a record created in shadow by one group
        # is known to the references of the next.
        for (action, object_type), indexes in groups.items():
            batch = [commands[i] for i in indexes]
            for index, outcome in zip(indexes, await self._shadow(action, object_type, batch), strict=True):
                outcomes[index] = outcome
        return [o if o is not None else Failed(Classification(True, "no outcome")) for o in outcomes]

    async def _shadow(
        self, action: str, object_type: str, commands: Sequence[CommandEnvelope]
    ) -> list[Outcome]:
        try:
            mapping = self.inner.mapping(object_type)
        except CannotEncode as error:
            return [Failed(self.classify(error), str(error))] * len(commands)
        outcomes: list[Outcome] = [Failed(Classification(True, "no outcome"))] * len(commands)
        prepared: list[tuple[int, PlatformWrite]] = []
        known = self._known(mapping, commands)
        for index, command in enumerate(commands):
            try:
                prepared.append((index, self.inner._prepare(action, mapping, command, known)))
            except (CannotEncode, Rejected) as error:
                outcomes[index] = Failed(self.classify(error), str(error))
        if not prepared:
            return outcomes
        try:
            ids = [w.system_id for _, w in prepared if w.system_id] if action != "delete" else []
            current = await self._current(mapping, ids)
        except Exception as error:  # the read failed as a whole: as live, the writes wait for the target
            failure = failure_of(error, self.name)
            for index, _ in prepared:
                outcomes[index] = Failed(self.classify(failure), str(failure))
            return outcomes
        now = self.clock.now()
        rows = [self._row(action, mapping, commands[i], write, current, now) for i, write in prepared]
        try:
            self.ledger.record(rows)
        except Exception as error:  # nothing was recorded: the command is tried again
            failed = Failed(Classification(True, f"shadow writes could not be recorded: {error}"))
            for index, _ in prepared:
                outcomes[index] = failed
            return outcomes
        for (index, write), row in zip(prepared, rows, strict=True):
            answer = {
                "system": self.name,
                "global_id": write.global_id,
                "system_id": row.platform_id or shadow_id(write.global_id),
                "shadow": row.action,
            }
            outcomes[index] = Succeeded(answer)
        return outcomes

    def _known(self, mapping: ObjectMapping, commands: Sequence[CommandEnvelope]) -> dict[str, str]:
        """Where each record is in this system: its real id, else its shadow id (created in shadow)."""
        wanted = [g for g in (str(c.payload.get("global_id") or "") for c in commands) if g]
        known = self.inner.services.xref.system_ids(wanted, self.name, mapping.canonical)
        created = self.ledger.created(self.name, mapping.canonical, [g for g in wanted if g not in known])
        return {**{g: shadow_id(g) for g in created}, **known}

    async def _current(
        self, mapping: ObjectMapping, system_ids: Sequence[str]
    ) -> dict[str, PolledRecord | None]:
        """The target's records by id; None for a record that exists as far as the cross-reference knows
        but that Concord does not read (a write-only mapping, a platform that cannot read by id); ids the
        target does not hold are left out."""
        real = list(dict.fromkeys(s for s in system_ids if not is_shadow_id(s)))
        if not real:
            return {}
        if "inbound" not in mapping.directions:
            return dict.fromkeys(real)
        try:
            found = await self.inner.fetch(mapping, real)
        except CannotEncode:
            return dict.fromkeys(real)
        return {r.system_id: r for r in found if not r.deleted}

    def _row(
        self,
        action: str,
        mapping: ObjectMapping,
        command: CommandEnvelope,
        write: PlatformWrite,
        current: Mapping[str, PolledRecord | None],
        now: datetime,
    ) -> ShadowWrite:
        system_id = write.system_id if not is_shadow_id(write.system_id) else None
        held = system_id is not None and system_id in current
        if action == "delete":
            comparison = Comparison(DELETE)
        elif not held:
            comparison = compare(self._comparable(mapping, write.body), None, ())
            if action == "update":  # an update of a record the target does not hold (created in shadow)
                comparison = Comparison(UPDATE, comparison.diff)
        else:
            assert system_id is not None
            comparison = self._compare(mapping, write, current[system_id])
        return ShadowWrite(
            idempotency_key=command.idempotency_key,
            command_id=command.command_id,
            system=self.name,
            object_type=mapping.canonical,
            global_id=write.global_id,
            platform_id=system_id if held or action == "delete" else None,
            action=comparison.action,
            diff=comparison.diff,
            unread=comparison.unread,
            correlation_id=correlation_of(command.traceparent),
            recorded_at=now,
        )

    def _compare(
        self, mapping: ObjectMapping, write: PlatformWrite, polled: PolledRecord | None
    ) -> Comparison:
        body = self._comparable(mapping, write.body)
        if polled is None:
            return Comparison(UNREAD, {}, body)
        readable = {f.split(".", 1)[0] for f in mapping.source_fields()}
        return compare(body, self._comparable(mapping, self._as_written(mapping, polled)), readable)

    def _as_written(self, mapping: ObjectMapping, polled: PolledRecord) -> dict[str, Any]:
        """The record as read, in the form Concord writes: through the mapping to canonical values and back.

        A record the mapping cannot read (or write back) is compared as read, under the diff's rules. The
        constants every write sets come from the record, not from the mapping.
        """
        record = polled.record
        external = polled.global_id
        if external is None and mapping.external_id_field:
            external = record.get(mapping.external_id_field)
        try:
            values = mapping.to_canonical(record, self.inner.scope).values
            body = mapping.to_platform(
                values, self.inner.scope, global_id=str(external) if external else None
            )
        except (MappingFailure, ConcordError):
            return dict(record)
        for name in mapping.write_constants:
            body[name] = record.get(name)
        return body

    @staticmethod
    def _comparable(mapping: ObjectMapping, body: Mapping[str, Any]) -> dict[str, Any]:
        # The correlation field names the business transaction that wrote last: new on every write.
        return {k: v for k, v in body.items() if k != mapping.correlation_field}


class ShadowScreen:
    """The write screen for an engine with shadowed targets (see the module): live targets are screened as
    always; shadowed ones get the screen's values, and their fingerprints are rolled back."""

    def __init__(self, inner: WriteScreen, shadowed: Collection[str]) -> None:
        self.inner = inner
        self.shadowed = frozenset(shadowed)

    def screen(self, tx: Transaction, commands: Sequence[ClaimedCommand], now: datetime) -> Screened:
        live = [c for c in commands if c.target not in self.shadowed]
        shadowed = [c for c in commands if c.target in self.shadowed]
        verdict = self.inner.screen(tx, live, now) if live else Screened()
        if not shadowed:
            return verdict
        savepoint = tx.conn.begin_nested()
        try:
            trial = self.inner.screen(tx, shadowed, now)
        finally:
            savepoint.rollback()
        # A skip is not taken: the shadow connector compares the write with the target's record itself.
        return Screened(skipped=verdict.skipped, payloads={**verdict.payloads, **trial.payloads})

    def abandoned(self, tx: Transaction, commands: Sequence[ClaimedCommand], now: datetime) -> None:
        live = [c for c in commands if c.target not in self.shadowed]
        if live:
            self.inner.abandoned(tx, live, now)


def shadow_connectors(
    connectors: Mapping[str, Connector], shadowed: Sequence[str], store: SqlStore, clock: Clock
) -> dict[str, Connector]:
    """``connectors`` with the ones named in ``shadowed`` wrapped in :class:`ShadowConnector`.

    Raises:
        ConfigError: a name is not a configured connector, or not a platform connector (only those know
            how to compute a write).
    """
    unknown = [n for n in shadowed if n not in connectors]
    if unknown:
        raise ConfigError(
            f"shadow names {unknown}, which are not configured connectors; configured: "
            f"{', '.join(sorted(connectors)) or 'none'}"
        )
    ledger = ShadowLedger(store)
    wrapped = dict(connectors)
    for name in dict.fromkeys(shadowed):
        connector = connectors[name]
        if isinstance(connector, ShadowConnector):
            continue
        if not isinstance(connector, PlatformConnector):
            raise ConfigError(
                f"shadow: connector '{name}' cannot be shadowed: only platform connectors (Salesforce, "
                "Kantata, NetSuite...) compute the writes they would make"
            )
        wrapped[name] = ShadowConnector(connector, ledger, clock)
        log.info("writes are shadowed: computed and compared, never sent", system=name)
    return wrapped
