"""Backfill: pull a platform object's history into Concord, resumable from its cursor.

A backfill is change detection run from a chosen start (``--since``, or the beginning) at background
priority, page after page, until the platform has nothing older left to give. Each page is recorded the
way live detection records it (inbox dedupe + events + cursor in one transaction), so a backfill killed at
any instant resumes from its last recorded page and nothing is recorded twice. Its cursor is kept apart
from live detection's (``<object>@backfill``), so the two never move each other.

The quota is shared: a spent budget (``QuotaExhausted``) or a platform's throttling makes the backfill
wait and go on from where it stands; other transient failures are retried with backoff, and only a
failure that outlasts every retry stops it (its place is kept for the next run).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import structlog

from concord.connectors.base import PlatformConnector
from concord.connectors.http.governor import Priority
from concord.engine.errors import Throttled, TransientError
from concord.engine.recorder import Recorder
from concord.mapping import ObjectMapping

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


def backfill_cursor_name(object_type: str) -> str:
    """The cursor a backfill of ``object_type`` keeps (apart from live detection's)."""
    return f"{object_type}@backfill"


@dataclass(slots=True)
class BackfillProgress:
    """Where a backfill stands, for progress bars and summaries."""

    system: str
    object_type: str
    pulled: int = 0
    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    pages: int = 0
    waits: int = 0
    total: int | None = None
    resumed: bool = False
    done: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        """Records pulled per second so far."""
        elapsed = time.monotonic() - self.started
        return self.pulled / elapsed if elapsed > 0 else 0.0


class Backfill:
    """Pulls one object's history from one connector."""

    def __init__(
        self,
        connector: PlatformConnector,
        recorder: Recorder,
        store: SqlStore,
        *,
        page_size: int = 500,
        max_retries: int = 8,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.connector = connector
        self.recorder = recorder
        self.store = store
        self.page_size = page_size
        self.max_retries = max_retries
        self.sleep = sleep

    def stored_cursor(self, object_type: str) -> str | None:
        """Where an earlier run of this backfill stopped (None: it never ran)."""
        with self.store.transaction() as tx:
            return tx.cursors.get(self.connector.name, backfill_cursor_name(object_type))

    async def run(
        self,
        object_type: str,
        *,
        since: datetime | None = None,
        restart: bool = False,
        on_progress: Callable[[BackfillProgress], None] | None = None,
    ) -> BackfillProgress:
        """Pull every record of ``object_type`` changed since ``since`` (resuming an earlier run unless
        ``restart``); returns the totals."""
        mapping = self.connector.mapping(object_type)
        self.recorder.schemas.register_canonical(mapping.model)
        name = backfill_cursor_name(mapping.canonical)
        progress = BackfillProgress(self.connector.name, mapping.canonical)
        stored = None if restart else self.stored_cursor(mapping.canonical)
        progress.resumed = stored is not None
        cursor = stored
        if cursor is None and since is not None:
            cursor = self.connector.cursor_since(since)
        progress.total = await self._estimate(mapping, cursor)
        failures = 0
        finished = False
        while not finished:
            try:
                async for page in self.connector.stream(mapping, cursor, self.page_size, Priority.BACKGROUND):
                    changes = self.connector.changes(mapping, page.records)
                    summary = self.recorder.record(self.connector.name, name, changes, page.next_cursor)
                    cursor = page.next_cursor
                    failures = 0
                    progress.pages += 1
                    progress.pulled += len(page.records)
                    progress.recorded += summary.recorded
                    progress.duplicates += summary.duplicates
                    progress.rejected += summary.rejected
                    if on_progress is not None:
                        on_progress(progress)
                finished = True
            except Throttled as error:  # a spent budget or the platform's throttling: wait, never fail
                progress.waits += 1
                wait = error.retry_after or 1.0
                log.info("backfill waits for the API budget", system=progress.system, wait_s=wait)
                await self.sleep(wait)
            except TransientError as error:  # go on from the last recorded page
                failures += 1
                if failures > self.max_retries:
                    raise
                wait = min(0.5 * 2 ** (failures - 1), 30.0)
                log.warning("backfill page failed; retrying", reason=error.reason, wait_s=wait)
                await self.sleep(wait)
        progress.done = True
        log.info(
            "backfill finished",
            system=progress.system,
            object_type=progress.object_type,
            pulled=progress.pulled,
            recorded=progress.recorded,
            duplicates=progress.duplicates,
            rejected=progress.rejected,
        )
        if on_progress is not None:
            on_progress(progress)
        return progress

    async def _estimate(self, mapping: ObjectMapping, cursor: str | None) -> int | None:
        try:
            return await self.connector.estimate(mapping, cursor)
        except TransientError:  # only for the progress bar's ETA: go on without one
            return None
