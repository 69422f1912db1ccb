"""The emulator's application services, wired once per app and shared by its routers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from concord.sandbox.core.clock import Clock
from concord.sandbox.core.docstore import DocStore
from concord.sandbox.kantata import approvals_spec, events, external_refs
from concord.sandbox.kantata.catalog import USERS, build_catalog
from concord.sandbox.kantata.envelope import Catalog
from concord.sandbox.kantata.hooks import WriteContext
from concord.sandbox.kantata.reads import ReadService
from concord.sandbox.kantata.repository import KantataRepository, RequestReader
from concord.sandbox.kantata.rules_misc import DEFAULT_PHOTO
from concord.sandbox.kantata.rules_projects import ACCOUNT_ID
from concord.sandbox.kantata.timefmt import format_timestamp
from concord.sandbox.kantata.writes import WriteService

RESOLUTIONS = "resolutions"
ADMIN_NAME = "Sandbox Administrator"
ADMIN_EMAIL = "admin@sandbox.example"


class KantataService:
    """Repository, catalogue, read and write services and the change feed of one emulator.

    Writes are serialised by one lock: Kantata validates against current data (unique participations,
    submission locks), so check-then-write must not interleave.
    """

    def __init__(self, store: DocStore, clock: Clock) -> None:
        self.clock = clock
        self.events_spec = events.build_events_spec(clock)
        self.catalog: Catalog = build_catalog(
            self.events_spec,
            external_refs.EXTERNAL_REFERENCES,
            approvals_spec.TIMESHEET_SUBMISSIONS,
            approvals_spec.EXPENSE_REPORT_SUBMISSIONS,
        )
        collections = [spec.collection for spec in self.catalog.specs if spec is not self.events_spec]
        self.repo = KantataRepository(store, [*collections, RESOLUTIONS])
        self.feed = events.EventFeed(self.repo, clock)
        self.reads = ReadService(self.repo, self.catalog)
        self.writes = WriteService(self.repo, self.feed)
        self._write_lock = threading.Lock()
        self.ensure_admin()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock for a check-then-write sequence."""
        with self._write_lock:
            yield

    def context(self, user_id: str) -> WriteContext:
        """A write context for the acting user at the emulator clock's now."""
        now = self.clock.now()
        return WriteContext(
            reader=RequestReader(self.repo), now=format_timestamp(now), today=now.date(), user_id=user_id
        )

    def ensure_admin(self) -> str:
        """The account administrator every token acts for; created (id 1 in a fresh store) if missing."""
        users = self.repo.all(USERS.collection)
        if users:
            return str(users[0]["id"])
        now = format_timestamp(self.clock.now())
        admin = {
            "full_name": ADMIN_NAME,
            "email_address": ADMIN_EMAIL,
            "headline": "Account Administrator",
            "disabled": False,
            "photo_path": DEFAULT_PHOTO,
            "account_id": ACCOUNT_ID,
            "created_at": now,
            "updated_at": now,
        }
        return str(self.repo.insert_many(USERS.collection, [admin])[0]["id"])
