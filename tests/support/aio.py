"""Running a test coroutine, and the small retry loop tests use where the engine would retry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from concord.engine.errors import TransientError

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
    """Run a test coroutine on a fresh event loop, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


async def retry_transient(
    call: Callable[[], Awaitable[T]], *, attempts: int = 10, max_wait_s: float = 0.05
) -> tuple[T, list[TransientError]]:
    """What the engine does, in small: retry transient failures (waiting briefly), give up on others.

    Returns the result and the transient errors met on the way.
    """
    met: list[TransientError] = []
    for attempt in range(1, attempts + 1):
        try:
            return await call(), met
        except TransientError as error:
            met.append(error)
            if attempt == attempts:
                raise
            await asyncio.sleep(min(error.retry_after or 0.01, max_wait_s))
    raise AssertionError("unreachable")
