"""Ways to spoil a response body: malformed JSON, truncation, slow drip."""

from __future__ import annotations

import asyncio

from starlette.types import Send

MALFORMED_MARKER = b"\x00<!-- malformed by the sandbox -->"


def malformed(body: bytes) -> bytes:
    """``body`` with a NUL byte and markup spliced into its middle.

    A raw NUL is invalid anywhere in JSON (inside a string it is an unescaped control character), so the
    result never parses, whatever the original was.
    """
    middle = len(body) // 2
    return body[:middle] + MALFORMED_MARKER + body[middle:]


def cut(body: bytes) -> bytes:
    """The first half of ``body`` (empty for one byte or less): a JSON document cut short."""
    return body[: len(body) // 2] if len(body) > 1 else b""


async def drip(send: Send, body: bytes, chunk_bytes: int, interval_s: float) -> None:
    """Send ``body`` in ``chunk_bytes`` pieces, sleeping ``interval_s`` before each piece after the first."""
    for offset in range(0, len(body), chunk_bytes):
        if offset:
            await asyncio.sleep(interval_s)
        await send(
            {"type": "http.response.body", "body": body[offset : offset + chunk_bytes], "more_body": True}
        )
    await send({"type": "http.response.body", "body": b"", "more_body": False})
