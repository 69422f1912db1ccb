"""Small ASGI helpers shared by the core middlewares (pure ASGI: cheap on every request)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from starlette.types import Message, Scope, Send

from concord.sandbox.core.errors import ErrorFormatter

ADMIN_PREFIX = "/__sandbox"
"""Path prefix of the admin API; requests under it bypass faults, limits and the request log."""

NOTE_SCOPE_KEY = "concord.sandbox.note"


@dataclass(slots=True)
class RequestNote:
    """What the core did to one request, shared by the middlewares through the ASGI scope.

    ``faults`` lists what was applied (``"latency"``, ``"error"``, ``"concurrency_limit"``...), and
    ``extra`` lets an emulator's handler add small facts for the request log (``note_for(scope)``).
    """

    faults: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def is_platform_http(scope: Scope) -> bool:
    """True for an HTTP request to the emulated platform (not the admin API, not lifespan)."""
    return scope["type"] == "http" and not scope["path"].startswith(ADMIN_PREFIX)


def note_for(scope: Scope) -> RequestNote | None:
    """The request's note, when the request log middleware is installed."""
    note = scope.get(NOTE_SCOPE_KEY)
    return note if isinstance(note, RequestNote) else None


def record_fault(scope: Scope, label: str) -> None:
    """Add ``label`` to what the request log shows as applied to this request."""
    note = note_for(scope)
    if note is not None:
        note.faults.append(label)


def encode_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """ASGI header list from a mapping or pairs (names lower-cased)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs]


def with_content_length(raw_headers: Iterable[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    """Copy of ``raw_headers`` with ``content-length`` set to ``length``."""
    kept = [(k, v) for k, v in raw_headers if k.lower() != b"content-length"]
    kept.append((b"content-length", str(length).encode("ascii")))
    return kept


async def send_bytes(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """Send a complete response in one body message."""
    await send(
        {"type": "http.response.start", "status": status, "headers": with_content_length(headers, len(body))}
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_platform_error(
    send: Send,
    formatter: ErrorFormatter,
    status: int,
    kind: str,
    message: str,
    *,
    retry_after_s: int | None = None,
) -> None:
    """Answer with the platform's error body; add ``Retry-After`` if asked and the formatter set none."""
    body, headers = formatter.format(status, kind, message)
    raw = encode_headers(headers)
    names = {name for name, _ in raw}
    if b"content-type" not in names:
        raw.append((b"content-type", b"application/json"))
    if retry_after_s is not None and b"retry-after" not in names:
        raw.append((b"retry-after", str(retry_after_s).encode("ascii")))
    await send_bytes(send, status, body, raw)


def header_value(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes) in the request, decoded as latin-1."""
    for key, value in scope["headers"]:
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


def is_final_body(message: Message) -> bool:
    """Whether an ASGI send message ends the response."""
    return message["type"] == "http.response.body" and not message.get("more_body", False)
