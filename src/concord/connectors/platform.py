"""What a platform connector deals in, apart from the connector itself: the services the composition root
hands it (mappings, cross-reference, reference tables), the mapping context built on them, and the records
that pass between a platform's polls and writes and the shared connector logic in ``base``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from concord.connectors.http.errors import translate
from concord.engine.errors import ConcordError, TransientError
from concord.mapping import MappingSet

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore

T = TypeVar("T")


class CrossReferencePort(Protocol):
    """The cross-reference as connectors use it (``concord.engine.crossref.CrossReferenceService``)."""

    def ensure_many(self, system: str, object_type: str, system_ids: Sequence[str]) -> dict[str, str]: ...

    def ensure(self, system: str, object_type: str, system_id: str) -> str: ...

    def link(self, global_id: str, system: str, object_type: str, system_id: str) -> None: ...

    def system_id(self, global_id: str, system: str, object_type: str) -> str | None: ...

    def system_ids(self, global_ids: Sequence[str], system: str, object_type: str) -> dict[str, str]: ...

    def link_many(self, system: str, object_type: str, pairs: Sequence[tuple[str, str]]) -> None: ...


@dataclass(frozen=True)
class ConnectorServices:
    """What the composition root hands every platform connector."""

    mappings: MappingSet
    xref: CrossReferencePort
    reference_tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    store: SqlStore | None = None
    """Concord's own store, for the connectors whose system it is (the analytics sink); None in tests that
    build platform connectors alone."""


class MappingScope:
    """The mapping context of one connector: references resolve through the cross-reference.

    Mapping files name their platform (``salesforce``); the cross-reference knows systems by the
    connector's configured name, which a firm with two orgs of one platform sets apart.
    """

    CACHE_LIMIT = 100_000

    def __init__(self, services: ConnectorServices, platform: str, name: str) -> None:
        self.services = services
        self._systems = {platform: name}
        # A platform id, once linked, keeps its global id (a merge leaves an alias that still resolves),
        # so references repeated on every record of a page (project, person) are looked up once.
        self._known: dict[tuple[str, str, str], str] = {}
        self._placed: dict[tuple[str, str, str], str | None] | None = None
        """While a batch of writes is mapped (``batch``): the records' ids looked up so far."""

    def _system(self, system: str) -> str:
        return self._systems.get(system, system)

    def global_id(self, system: str, object_type: str, system_id: str) -> str:
        key = (self._system(system), object_type, system_id)
        found = self._known.get(key)
        if found is None:
            if len(self._known) >= self.CACHE_LIMIT:
                self._known.clear()
            found = self._known[key] = self.services.xref.ensure(*key)
        return found

    def system_id(self, system: str, object_type: str, global_id: str) -> str | None:
        key = (self._system(system), object_type, global_id)
        placed = self._placed
        if placed is not None and key in placed:
            return placed[key]
        found = self.services.xref.system_id(global_id, key[0], object_type)
        if placed is not None:
            placed[key] = found
        return found

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Map one batch of writes: a record they all refer to (the posting's project) is looked up once.

        Only around code that does not wait (no ``await`` inside): the ids are those of this moment, and
        another batch mapped meanwhile would share them.
        """
        self._placed = {}
        try:
            yield
        finally:
            self._placed = None

    def reference(self, table: str, key: str) -> Any | None:
        return self.services.reference_tables.get(table, {}).get(key)


class StoredCursor(Protocol):
    def encode(self) -> str: ...


class ChangeStream(Protocol[T]):
    """What a platform's change poll offers (``concord.connectors.http.polling.Poll`` and its cursor)."""

    more: bool | None

    @property
    def cursor(self) -> StoredCursor: ...

    async def take(self, limit: int) -> list[T]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class TailingStream(ChangeStream[T], Protocol[T]):
    """A change poll that can read on after it ran out (``concord.connectors.kantata.changes.ChangePoll``)."""

    async def again(self, *, tail: bool) -> None:
        """Read on: what was stamped after the high-water stamp (``tail``), or the whole overlap window."""
        ...


@dataclass(frozen=True, slots=True)
class PolledRecord:
    """One platform record version found by a poll."""

    system_id: str
    changed_at: datetime
    version: str
    record: Mapping[str, Any]
    deleted: bool = False
    global_id: str | None = None
    """Concord's global id, where the platform keeps it outside the record's fields (else the mapping's
    external-id field is read)."""
    correlation_id: str | None = None
    """The business transaction's correlation id, where the platform keeps it outside the fields."""


@dataclass(frozen=True, slots=True)
class PolledPage:
    """The records of one poll and the cursor to store once they are recorded."""

    records: Sequence[PolledRecord]
    next_cursor: str | None
    more: bool


@dataclass(frozen=True, slots=True)
class PlatformWrite:
    """One record to write: its global id, its platform id when known, and the platform fields."""

    global_id: str
    system_id: str | None
    body: dict[str, Any]
    correlation_id: str | None = None
    """The business transaction's correlation id, for platforms that keep it outside the fields."""
    flag: str | None = None
    """A note for the people who look at the record (why Concord set it aside), for platforms that keep
    an integration status on records (Kantata's external reference); the others leave it out."""


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What one platform write did."""

    system_id: str | None = None
    created: bool = False
    failure: ConcordError | None = None


def failure_of(error: Exception, system: str) -> ConcordError:
    """``error`` as a Concord error (HTTP failures mapped; anything unexpected counts as transient)."""
    translated = translate(error, system)
    if isinstance(translated, ConcordError):
        return translated
    return TransientError(f"{system}: {type(error).__name__}: {error}")
