"""Running a stage's store work off the event loop, where the store can serve stages in parallel.

A worker's stages (record, decide, deliver) spend about half their time waiting for the database. On
PostgreSQL each transaction has its own connection and server process, so running a stage's store work in
a thread lets one stage's statements execute while another stage computes: within one worker, stages
then meet exactly as the stages of separate workers always do (leases, ``SKIP LOCKED``, row and head
locks taken in one order). SQLite takes one writer at a time, so there the work stays on the loop:
threads would only queue on its write lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore

P = ParamSpec("P")
R = TypeVar("R")


def runs_in_parallel(store: SqlStore) -> bool:
    """Whether the store serves concurrent transactions (PostgreSQL) rather than one at a time."""
    return store.backend == "postgresql"


async def store_work(parallel: bool, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``work`` (which opens its own transactions) in a thread when ``parallel``, else right here."""
    if parallel:
        return await asyncio.to_thread(work, *args, **kwargs)
    return work(*args, **kwargs)
