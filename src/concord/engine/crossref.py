"""The cross-reference service: global id ↔ per-system ids, resolving in any direction, merging, matching.

Every canonical record carries one global id and its id in each system (domain.md §2). This service
is how the rest of Concord reads and changes that mapping: each method runs its own short transaction,
or joins the caller's when given ``tx``.

Matching decides whether a customer record seen in one system is a business Concord already knows
from another (same tax id, same web domain and name, or a similar name): sure matches are linked
automatically, doubtful ones become one manual-review exception in business words, and the rest
become new entities. Joining two entities is a merge, recorded in the audit log; the merged id keeps
resolving to the surviving one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from concord.domain.matching import CustomerFacts, Match, rank_matches
from concord.domain.ownership import owning_team
from concord.domain.tracing import TraceContext
from concord.engine.errors import Conflict
from concord.engine.model import Category, ExceptionDraft
from concord.engine.ports import Clock
from concord.engine.recorder import business_key

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore, Transaction
    from concord.storage.sql.xref_store import Merge

#: The pseudo-system of global ids in :meth:`CrossReferenceService.resolve`.
GLOBAL = "global"
CUSTOMER = "Customer"
REVIEWED = frozenset({CUSTOMER})
"""Object types whose records may wait in a manual matching review (closed once they are linked)."""
#: Who the audit log names for decisions Concord takes by itself.
CONCORD_ACTOR = "concord"

#: How people write the systems Concord speaks first; others are title-cased from their config name.
SYSTEM_LABELS = {"salesforce": "Salesforce", "netsuite": "NetSuite", "kantata": "Kantata"}


def system_label(system: str) -> str:
    """A system's name as people write it: 'netsuite' → 'NetSuite'."""
    return SYSTEM_LABELS.get(system, system.replace("_", " ").title())


def review_key(object_type: str, system: str, system_id: str) -> str:
    """The business key of the manual-review exception about one record's match."""
    return business_key(object_type, f"{system}:{system_id}")


class MatchOutcome(StrEnum):
    """What :meth:`CrossReferenceService.match_customer` decided."""

    LINKED = "linked"
    """The record is (now, or already was) the matched entity."""
    MERGED = "merged"
    """The record had a global id of its own; it was merged into the matched entity."""
    REVIEW = "review"
    """Not sure enough: a person decides (one manual-review exception is open)."""
    NEW = "new"
    """Nothing close enough: the record is an entity of its own."""


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """The outcome of matching one customer record, and the record's global id after it."""

    outcome: MatchOutcome
    global_id: str
    match: Match | None = None
    #: The manual-review exception opened by this call (None when one was already open, or none needed).
    exception_id: str | None = None
    note: str = ""


class CrossReferenceService:
    """Global id ↔ per-system ids, for flows, the mapping engine, the CLI and the API."""

    def __init__(self, store: SqlStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    @contextmanager
    def _unit(self, tx: Transaction | None) -> Iterator[Transaction]:
        if tx is not None:
            yield tx
            return
        with self.store.transaction() as own:
            yield own

    # -- reading ------------------------------------------------------------------------------------

    def global_id(
        self, system: str, object_type: str, system_id: str, *, tx: Transaction | None = None
    ) -> str | None:
        """The global id of a system's record, or None when Concord has not seen it."""
        with self._unit(tx) as t:
            return t.xref.global_id(system, object_type, system_id)

    def global_ids(
        self, system: str, object_type: str, system_ids: Iterable[str], *, tx: Transaction | None = None
    ) -> dict[str, str]:
        """system id → global id for the known records of a page (one query)."""
        with self._unit(tx) as t:
            return t.xref.global_ids(system, object_type, system_ids)

    def system_id(
        self, global_id: str, system: str, object_type: str, *, tx: Transaction | None = None
    ) -> str | None:
        """The entity's record id in ``system`` (a merged global id resolves to the survivor's)."""
        with self._unit(tx) as t:
            return t.xref.system_id(global_id, system, object_type)

    def system_ids(
        self, global_ids: Iterable[str], system: str, object_type: str, *, tx: Transaction | None = None
    ) -> dict[str, str]:
        """global id → record id in ``system``, for the entities of a batch that have one there."""
        with self._unit(tx) as t:
            return t.xref.system_ids(global_ids, system, object_type)

    def ids(self, global_id: str, *, tx: Transaction | None = None) -> dict[str, str]:
        """system → record id, for every system that holds the entity."""
        with self._unit(tx) as t:
            return t.xref.ids(global_id)

    def canonical(self, global_id: str, *, tx: Transaction | None = None) -> str:
        """The surviving global id (``global_id`` itself unless it was merged into another)."""
        with self._unit(tx) as t:
            return t.xref.resolve(global_id)

    def resolve(
        self,
        from_system: str,
        object_type: str,
        system_id: str,
        to_system: str,
        *,
        tx: Transaction | None = None,
    ) -> str | None:
        """The id in ``to_system`` of the record ``system_id`` in ``from_system``; None if there is none.

        Either side may be :data:`GLOBAL` ("global"): system → global, global → system, system →
        system. A merged global id resolves like the surviving one.
        """
        with self._unit(tx) as t:
            if from_system == GLOBAL:
                found = t.xref.resolve(system_id)
                if not t.xref.ids(found):
                    return None
            else:
                linked = t.xref.global_id(from_system, object_type, system_id)
                if linked is None:
                    return None
                found = linked
            if to_system == GLOBAL:
                return found
            return t.xref.system_id(found, to_system, object_type)

    # -- writing ------------------------------------------------------------------------------------

    def ensure(self, system: str, object_type: str, system_id: str, *, tx: Transaction | None = None) -> str:
        """The record's global id, minted on first sight (safe when two workers see it at once)."""
        with self._unit(tx) as t:
            return t.xref.ensure(system, object_type, system_id, self.clock.now())

    def ensure_many(
        self, system: str, object_type: str, system_ids: Iterable[str], *, tx: Transaction | None = None
    ) -> dict[str, str]:
        """system id → global id for a page of records, minting ids for the ones seen first."""
        with self._unit(tx) as t:
            return t.xref.ensure_many(system, object_type, system_ids, self.clock.now())

    def link(
        self,
        global_id: str,
        system: str,
        object_type: str,
        system_id: str,
        *,
        by: str | None = None,
        tx: Transaction | None = None,
    ) -> None:
        """Record that ``system_id`` in ``system`` is the entity ``global_id`` (a merged id: its survivor).

        Doing it twice changes nothing. Raises :class:`Conflict` when the record already belongs to
        another entity (merge them instead) or the entity already has another record in ``system``.
        When ``by`` names a person, the link is written to the audit log.
        """
        now = self.clock.now()
        with self._unit(tx) as t:
            before = t.xref.global_id(system, object_type, system_id)
            linked = t.xref.link(global_id, system, object_type, system_id, now)
            if before is None:
                self._close_reviews(t, linked, object_type, f"linked to {linked}", now)
                if by is not None:
                    details = {"global_id": linked, "system": system, "object_type": object_type}
                    t.audit.append(by, "xref.link", f"{system}:{object_type}:{system_id}", details, now)

    def link_many(
        self,
        system: str,
        object_type: str,
        pairs: Iterable[tuple[str, str]],
        *,
        tx: Transaction | None = None,
    ) -> None:
        """``link`` for a batch of (global id, record id) pairs, in one transaction: the pairs already
        linked (a page of records Concord wrote, read back) cost one query together."""
        wanted = dict((system_id, global_id) for global_id, system_id in pairs)
        if not wanted:
            return
        now = self.clock.now()
        with self._unit(tx) as t:
            known = t.xref.global_ids(system, object_type, wanted)
            unlinked = [(g, s) for s, g in wanted.items() if s not in known]
            merged = t.xref.merged_among(g for g, _ in unlinked)
            fresh = [(g, s) for g, s in unlinked if g not in merged]
            t.xref.insert_missing(system, object_type, fresh, now)
            if fresh:
                known = t.xref.global_ids(system, object_type, wanted)
            for system_id, global_id in wanted.items():
                if known.get(system_id) != global_id:
                    # A merged id, or a clash: the one-by-one path resolves it or says what is wrong.
                    t.xref.link(global_id, system, object_type, system_id, now)
            if object_type in REVIEWED:
                for global_id, _ in fresh:
                    self._close_reviews(t, global_id, object_type, f"linked to {global_id}", now)

    def merge(
        self,
        surviving: str,
        merged: str,
        object_type: str,
        *,
        by: str,
        reason: str,
        tx: Transaction | None = None,
    ) -> Merge | None:
        """Make ``merged`` the same entity as ``surviving`` (audited); None when they already are one.

        The merged id keeps resolving to the surviving one. Raises :class:`NotFound` for an unknown
        id and :class:`Conflict` when both have a record in the same system.
        """
        if not reason.strip():
            raise Conflict("say why: a reason is required to merge two entities")
        now = self.clock.now()
        with self._unit(tx) as t:
            return self._merge(t, surviving, merged, object_type, by, reason, now)

    def _merge(
        self,
        tx: Transaction,
        surviving: str,
        merged: str,
        object_type: str,
        by: str,
        reason: str,
        now: datetime,
    ) -> Merge | None:
        done = tx.xref.merge(surviving, merged, object_type, by, reason, now)
        if done is not None:
            details = {
                "surviving": done.surviving,
                "object_type": object_type,
                "moved": done.moved,
                "reason": reason,
            }
            tx.audit.append(by, "xref.merge", done.merged, details, now)
            self._close_reviews(tx, done.surviving, object_type, f"merged into {done.surviving}", now)
        return done

    def _close_reviews(
        self, tx: Transaction, global_id: str, object_type: str, how: str, now: datetime
    ) -> None:
        """Once records are joined, the manual reviews that asked whether to join them are settled."""
        keys = [review_key(object_type, s, i) for s, i in tx.xref.ids(global_id).items()]
        for key in tx.exceptions.active_keys(keys, categories=[Category.CONFLICT]):
            tx.exceptions.auto_resolve(
                key, f"Resolved automatically: the records were {how}.", now, now, [Category.CONFLICT]
            )

    # -- matching -----------------------------------------------------------------------------------

    def match_customer(
        self,
        system: str,
        system_id: str,
        facts: CustomerFacts,
        candidates: Iterable[CustomerFacts],
        *,
        auto_threshold: float = 0.9,
        review_threshold: float = 0.6,
        traceparent: str | None = None,
        tx: Transaction | None = None,
    ) -> MatchDecision:
        """Decide whether customer ``system_id`` in ``system`` is one of the known ``candidates``.

        At or above ``auto_threshold`` the record is linked to (or merged with) the best match; between
        the thresholds one manual-review exception is opened and nothing is linked; below
        ``review_threshold`` the record is a new entity. Calling it again for the same record changes
        nothing more: no second link, no second open exception.

        Each candidate needs its ``global_id`` or its ``system`` and ``system_id``.
        """
        if not 0.0 <= review_threshold <= auto_threshold <= 1.0:
            raise ValueError(
                f"thresholds must satisfy 0 <= review ({review_threshold}) <= auto ({auto_threshold}) <= 1"
            )
        record = replace(facts, system=system, system_id=system_id)
        pool = list(candidates)
        for candidate in pool:
            if candidate.global_id is None and not (candidate.system and candidate.system_id):
                raise ValueError(f"candidate {candidate.name!r} has neither a global id nor a system id")
        matches = rank_matches(record, pool, minimum=review_threshold)
        now = self.clock.now()
        with self._unit(tx) as t:
            own = t.xref.global_id(system, CUSTOMER, system_id)
            if not matches:
                return MatchDecision(MatchOutcome.NEW, own or t.xref.ensure(system, CUSTOMER, system_id, now))
            best = matches[0]
            why_not_auto = ""
            if best.confidence >= auto_threshold:
                sure = [m for m in matches if m.confidence >= auto_threshold]
                entities: dict[str, Match] = {}
                for m in sure:
                    entities.setdefault(self._entity(t, m.candidate), m)
                if len(entities) == 1:
                    try:
                        return self._join(t, record, own, best, now)
                    except Conflict as error:
                        why_not_auto = f"cannot be linked automatically: {error}"
                else:
                    others = [m for m in entities.values() if m is not best]
                    why_not_auto = "it matches more than one known customer, also " + ", ".join(
                        f"'{m.candidate.name}' in {system_label(m.candidate.system)} ({m.confidence:.2f})"
                        for m in others
                    )
            gid = own or t.xref.ensure(system, CUSTOMER, system_id, now)
            return self._review(t, record, gid, best, why_not_auto, auto_threshold, traceparent, now)

    def _entity(self, tx: Transaction, candidate: CustomerFacts) -> str:
        """The entity a candidate is: its global id when known, else its record in its system."""
        if candidate.global_id:
            return tx.xref.resolve(candidate.global_id)
        linked = tx.xref.global_id(candidate.system, CUSTOMER, candidate.system_id)
        return linked or f"{candidate.system}:{candidate.system_id}"

    def _candidate_id(self, tx: Transaction, candidate: CustomerFacts, now: datetime) -> str:
        """A known customer's global id (minted if its record was never mapped)."""
        if candidate.global_id:
            return tx.xref.resolve(candidate.global_id)
        return tx.xref.ensure(candidate.system, CUSTOMER, candidate.system_id, now)

    def _join(
        self, tx: Transaction, record: CustomerFacts, own: str | None, best: Match, now: datetime
    ) -> MatchDecision:
        candidate = best.candidate
        target = self._candidate_id(tx, candidate, now)
        label = f"{system_label(record.system)} {record.system_id}"
        if own is None:
            linked = tx.xref.link(target, record.system, CUSTOMER, record.system_id, now)
            details = {"global_id": linked, "confidence": best.confidence, "reasons": list(best.reasons)}
            subject = f"{record.system}:{CUSTOMER}:{record.system_id}"
            tx.audit.append(CONCORD_ACTOR, "xref.match.link", subject, details, now)
            self._close_reviews(tx, linked, CUSTOMER, f"linked to {linked}", now)
            note = f"{label} linked to {linked}: {best.explanation}"
            return MatchDecision(MatchOutcome.LINKED, linked, best, note=note)
        own = tx.xref.resolve(own)
        if own == target:
            return MatchDecision(MatchOutcome.LINKED, own, best, note=f"{label} was already {own}")
        # The older id survives, so the outcome does not depend on which record was matched first.
        surviving, merged = sorted((own, target))
        reason = f"automatic customer match ({best.confidence:.2f}): {best.explanation}"
        self._merge(tx, surviving, merged, CUSTOMER, CONCORD_ACTOR, reason, now)
        note = f"{label} merged: {merged} into {surviving}: {best.explanation}"
        return MatchDecision(MatchOutcome.MERGED, surviving, best, note=note)

    def _review(
        self,
        tx: Transaction,
        record: CustomerFacts,
        gid: str,
        best: Match,
        why_not_auto: str,
        auto_threshold: float,
        traceparent: str | None,
        now: datetime,
    ) -> MatchDecision:
        candidate = best.candidate
        target = self._candidate_id(tx, candidate, now)
        if target == gid:
            return MatchDecision(MatchOutcome.LINKED, gid, best, note="already the same customer")
        key = review_key(CUSTOMER, record.system, record.system_id)
        if tx.exceptions.active_keys([key], categories=[Category.CONFLICT]):
            return MatchDecision(MatchOutcome.REVIEW, gid, best, note="already waiting for a person's review")
        message = (
            f"Customer '{record.name}' in {system_label(record.system)} (id {record.system_id}) may be the "
            f"same as '{candidate.name}' in {system_label(candidate.system)} ({candidate.system_id}): "
            f"{best.explanation}; confidence {best.confidence:.2f}"
            + (f"; {why_not_auto}" if why_not_auto else "")
            + ". Link or keep apart in the exception queue."
        )
        detail = (
            f"customer match of {record.system}/{record.system_id} (global id {gid}) against "
            f"{candidate.system}/{candidate.system_id} (entity {target}): confidence {best.confidence:.4f}, "
            f"automatic link at {auto_threshold:.2f}. To link: `concord xref merge {target} {gid} "
            f"--reason ...` (or link the record to the entity); to keep apart: resolve this exception."
        )
        object_ids = {candidate.system: candidate.system_id, record.system: record.system_id}
        draft = ExceptionDraft(
            category=Category.CONFLICT,
            team=owning_team(Category.CONFLICT, CUSTOMER),
            business_type=CUSTOMER,
            business_key=key,
            business_label=f"Customer '{record.name}' ({system_label(record.system)} {record.system_id})",
            message=message,
            detail=detail,
            traceparent=TraceContext.parse_or_new(traceparent).traceparent,
            observed_at=now,
            object_ids=object_ids,
            payload={
                "record": {"system": record.system, "system_id": record.system_id, "global_id": gid},
                "candidate": {
                    "system": candidate.system,
                    "system_id": candidate.system_id,
                    "entity": target,
                },
                "confidence": best.confidence,
                "reasons": list(best.reasons),
            },
        )
        [exception_id] = tx.exceptions.open_many([draft], now)
        return MatchDecision(MatchOutcome.REVIEW, gid, best, exception_id=exception_id, note=message)
