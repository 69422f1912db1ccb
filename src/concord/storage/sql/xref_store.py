"""The cross-reference: one global id per business entity, and its id in each system.

A row of ``xref`` says "record ``system_id`` of ``object_type`` in ``system`` is entity ``global_id``";
an entity has at most one record per system. When two global ids turn out to be the same business
entity they are merged: the merged id's rows move to the surviving id and ``xref_aliases`` remembers
the merged id, so references that still carry it (events, flow state, other systems' external id
fields) keep resolving. Aliases are kept flat (every alias names a surviving id directly).

Minting is race-safe: two workers that first see the same record at the same moment insert with
"on conflict do nothing" and then read, so both get the one id that won.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from concord.domain.ids import new_id
from concord.engine.errors import Conflict, NotFound
from concord.storage.sql.event_log import chunks
from concord.storage.sql.tables import xref, xref_aliases

#: Aliases are flattened on every merge; this only guards against a hand-edited cycle.
MAX_ALIAS_HOPS = 16


@dataclass(frozen=True, slots=True)
class Merge:
    """What a merge did: the merged id now resolves to the surviving one, and these records moved."""

    surviving: str
    merged: str
    object_type: str
    #: system → system id of the records that were the merged entity's and are now the survivor's.
    moved: dict[str, str]


class CrossReference:
    """Resolve, mint, link and merge ids across systems (inside the caller's transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def resolve(self, global_id: str) -> str:
        """The surviving global id for ``global_id`` (itself unless it was merged into another)."""
        seen = {global_id}
        current = global_id
        for _ in range(MAX_ALIAS_HOPS):
            target = self.conn.scalar(
                select(xref_aliases.c.global_id).where(xref_aliases.c.merged_global_id == current)
            )
            if target is None or target in seen:
                return current
            seen.add(target)
            current = target
        return current

    def global_id(self, system: str, object_type: str, system_id: str) -> str | None:
        """The global id of a system's record, if linked."""
        query = select(xref.c.global_id).where(
            xref.c.system == system, xref.c.object_type == object_type, xref.c.system_id == system_id
        )
        return self.conn.scalar(query)

    def global_ids(self, system: str, object_type: str, system_ids: Iterable[str]) -> dict[str, str]:
        """system id → global id for those of a page of records that are linked (one query per 500)."""
        found: dict[str, str] = {}
        for chunk in chunks(sorted(set(system_ids))):
            query = select(xref.c.system_id, xref.c.global_id).where(
                xref.c.system == system, xref.c.object_type == object_type, xref.c.system_id.in_(chunk)
            )
            found.update({row.system_id: row.global_id for row in self.conn.execute(query)})
        return found

    def ensure(self, system: str, object_type: str, system_id: str, now: datetime) -> str:
        """The global id of a system's record, minting one on first sight."""
        return self.ensure_many(system, object_type, [system_id], now)[system_id]

    def ensure_many(
        self, system: str, object_type: str, system_ids: Iterable[str], now: datetime
    ) -> dict[str, str]:
        """system id → global id for every record of a page, minting ids for those seen first."""
        wanted = sorted(set(system_ids))
        found = self.global_ids(system, object_type, wanted)
        missing = [s for s in wanted if s not in found]
        if missing:
            # Sorted, so two workers minting overlapping pages take row locks in the same order.
            rows = [_row(new_id(), system, object_type, s, now) for s in missing]
            self.conn.execute(_insert_or_skip(self.conn), rows)
            found.update(self.global_ids(system, object_type, missing))
        return found

    def link(self, global_id: str, system: str, object_type: str, system_id: str, now: datetime) -> str:
        """Record that ``system_id`` in ``system`` is the entity ``global_id``; returns the surviving id.

        Linking the same record to the same entity again changes nothing. Raises :class:`Conflict`
        when the record is already another entity's, or the entity already has another record in
        ``system``.
        """
        target = self.resolve(global_id)
        self.conn.execute(_insert_or_skip(self.conn), [_row(target, system, object_type, system_id, now)])
        current = self.global_id(system, object_type, system_id)
        if current == target:
            return target
        if current is not None:
            raise Conflict(
                f"{object_type} {system_id} in {system} is already linked to {current}, not {target}; "
                "merge the two if they are the same entity"
            )
        held = self.conn.execute(
            select(xref.c.object_type, xref.c.system_id).where(
                xref.c.global_id == target, xref.c.system == system
            )
        ).first()
        held_text = f"{held.object_type} {held.system_id}" if held else "another record"
        raise Conflict(
            f"{target} already has {held_text} in {system}; one system holds one record per entity, "
            f"so {object_type} {system_id} cannot be linked to it as well"
        )

    def system_id(self, global_id: str, system: str, object_type: str) -> str | None:
        """The entity's record id in ``system``, if it has one there."""
        query = select(xref.c.system_id).where(
            xref.c.global_id == self.resolve(global_id),
            xref.c.system == system,
            xref.c.object_type == object_type,
        )
        return self.conn.scalar(query)

    def merged_among(self, global_ids: Iterable[str]) -> set[str]:
        """Which of ``global_ids`` were merged into another entity (one query per 500)."""
        merged: set[str] = set()
        for chunk in chunks(sorted(set(global_ids))):
            query = select(xref_aliases.c.merged_global_id).where(xref_aliases.c.merged_global_id.in_(chunk))
            merged.update(self.conn.scalars(query))
        return merged

    def insert_missing(
        self, system: str, object_type: str, pairs: Iterable[tuple[str, str]], now: datetime
    ) -> None:
        """Insert (global id, record id) rows in one statement, leaving any row that is already there;
        the caller reads back what won (a clash with another entity is not an error here)."""
        rows = [_row(global_id, system, object_type, system_id, now) for global_id, system_id in pairs]
        if rows:
            self.conn.execute(_insert_or_skip(self.conn), rows)

    def system_ids(self, global_ids: Iterable[str], system: str, object_type: str) -> dict[str, str]:
        """global id → record id in ``system`` for a batch of entities (merged ids resolve to their
        survivor's record), in two or three queries per 500 whatever the batch's size."""
        wanted = sorted(set(global_ids))
        found: dict[str, str] = {}
        for chunk in chunks(wanted):
            query = select(xref.c.global_id, xref.c.system_id).where(
                xref.c.system == system, xref.c.object_type == object_type, xref.c.global_id.in_(chunk)
            )
            found.update({row.global_id: row.system_id for row in self.conn.execute(query)})
        missing = [g for g in wanted if g not in found]
        for chunk in chunks(missing):
            merged = select(xref_aliases.c.merged_global_id, xref_aliases.c.global_id).where(
                xref_aliases.c.merged_global_id.in_(chunk)
            )
            survivors = {row.merged_global_id: row.global_id for row in self.conn.execute(merged)}
            for old, survivor in survivors.items():
                record = self.system_id(survivor, system, object_type)
                if record is not None:
                    found[old] = record
        return found

    def ids(self, global_id: str) -> dict[str, str]:
        """The entity's id in every system that has it (following a merge)."""
        query = select(xref.c.system, xref.c.system_id).where(xref.c.global_id == self.resolve(global_id))
        return {system: system_id for system, system_id in self.conn.execute(query)}

    def merge(
        self, surviving: str, merged: str, object_type: str, by: str, reason: str, now: datetime
    ) -> Merge | None:
        """Make ``merged`` the same entity as ``surviving``; None when they already are one.

        The merged entity's records move to the surviving id and the merged id becomes an alias of it.
        Raises :class:`NotFound` for an unknown id and :class:`Conflict` when the two are of another
        object type or both have a record in the same system (one of those records is a duplicate
        that has to be merged or retired in that system first).
        """
        keep, gone = self.resolve(surviving), self.resolve(merged)
        if keep == gone:
            return None
        rows = self.conn.execute(
            select(xref.c.global_id, xref.c.system, xref.c.object_type, xref.c.system_id)
            .where(xref.c.global_id.in_([keep, gone]))
            .order_by(xref.c.system, xref.c.object_type, xref.c.system_id)
            .with_for_update()
        ).all()
        kept = {r.system: r for r in rows if r.global_id == keep}
        moved = {r.system: r for r in rows if r.global_id == gone}
        for given, found in ((surviving, kept), (merged, moved)):
            if not found:
                raise NotFound(f"no record of any system has global id {given}")
        wrong = sorted({r.object_type for r in rows} - {object_type})
        if wrong:
            raise Conflict(f"cannot merge as {object_type}: the records are {', '.join(wrong)}")
        clashes = sorted(set(kept) & set(moved))
        if clashes:
            both = "; ".join(f"{s}: {kept[s].system_id} and {moved[s].system_id}" for s in clashes)
            raise Conflict(
                f"cannot merge {gone} into {keep}: both have a record in the same system ({both}); "
                "one of them is a duplicate to merge or retire in that system first"
            )
        self.conn.execute(update(xref).where(xref.c.global_id == gone).values(global_id=keep))
        self.conn.execute(update(xref_aliases).where(xref_aliases.c.global_id == gone).values(global_id=keep))
        self.conn.execute(
            insert(xref_aliases).values(
                merged_global_id=gone,
                global_id=keep,
                object_type=object_type,
                merged_at=now,
                merged_by=by,
                reason=reason,
            )
        )
        return Merge(keep, gone, object_type, {s: r.system_id for s, r in moved.items()})

    def aliases(self, global_id: str) -> list[dict[str, Any]]:
        """The ids merged into the entity, oldest merge first, with who merged them and why."""
        query = (
            select(xref_aliases)
            .where(xref_aliases.c.global_id == self.resolve(global_id))
            .order_by(xref_aliases.c.merged_at, xref_aliases.c.merged_global_id)
        )
        return [dict(r._mapping) for r in self.conn.execute(query)]


def _row(global_id: str, system: str, object_type: str, system_id: str, now: datetime) -> dict[str, Any]:
    return {
        "global_id": global_id,
        "system": system,
        "object_type": object_type,
        "system_id": system_id,
        "created_at": now,
    }


def _insert_or_skip(conn: Connection) -> Insert:
    """An insert into ``xref`` that leaves an existing row (of either unique key) as it is."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(xref).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        return sqlite.insert(xref).on_conflict_do_nothing()
    raise NotImplementedError(f"the cross-reference does not support {conn.dialect.name}")
