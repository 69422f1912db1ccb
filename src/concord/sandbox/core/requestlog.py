"""``RequestLog``: a bounded record of every platform request an emulator answered."""

from __future__ import annotations

import fnmatch
import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from concord.sandbox.core.asgi import NOTE_SCOPE_KEY, RequestNote, is_final_body, is_platform_http
from concord.sandbox.core.clock import Clock

DEFAULT_CAPACITY = 100_000
DEFAULT_LOGGED_HEADERS = (
    "idempotency-key",
    "x-idempotency-key",
    "x-netsuite-idempotency-key",
    "x-request-id",
    "traceparent",
    "prefer",
    "content-type",
    "user-agent",
)
CLIENT_CLOSED = 499
"""Status recorded when the client went away before any answer (nginx's convention)."""


@dataclass(slots=True)
class RequestRecord:
    """One answered request (not frozen only because frozen dataclasses are slower to build).

    Attributes:
        seq: Increasing number (never reused, also not after ``clear``).
        at: Emulator clock time when the request arrived.
        method: HTTP method.
        path: URL path, without the query string.
        query: Raw query string (decoded as latin-1).
        status: Response status (499 if the client left before any answer).
        duration_ms: Wall time until the last body byte was handed to the server.
        auth_scheme: The ``Authorization`` scheme only (``"Bearer"``), never the credential.
        headers: Selected request headers (idempotency keys, trace context...).
        faults: What the core applied (``"latency"``, ``"error"``, ``"concurrency_limit"``...).
        extra: Facts an emulator added through the request note.
    """

    seq: int
    at: datetime
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    auth_scheme: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (the admin API shape)."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "auth_scheme": self.auth_scheme,
            "headers": self.headers,
            "faults": list(self.faults),
            "extra": self.extra,
        }


def _status_matcher(status: int | str | None) -> Callable[[int], bool] | None:
    if status is None:
        return None
    text = str(status).strip().lower()
    if re.fullmatch(r"[1-5]xx", text):
        first = int(text[0])
        return lambda value: value // 100 == first
    if not text.isdigit():
        raise ValueError(f"bad status filter {status!r}: use a code such as 429 or a class such as 5xx")
    code = int(text)
    return lambda value: value == code


def _path_matcher(path: str | None) -> Callable[[str], bool] | None:
    if not path:
        return None
    if any(char in path for char in "*?["):
        pattern = re.compile(fnmatch.translate(path))
        return lambda value: pattern.match(value) is not None
    return lambda value: value.startswith(path)


class RequestLog:
    """A ring buffer of ``RequestRecord`` (oldest dropped first). Appends are O(1) and thread-safe."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._records: deque[RequestRecord] = deque(maxlen=capacity)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def next_seq(self) -> int:
        """Reserve the next sequence number."""
        return next(self._seq)

    def append(self, record: RequestRecord) -> None:
        """Add a record (drops the oldest when full)."""
        # The lock keeps a snapshot taken from another thread from seeing the deque change under it.
        with self._lock:
            self._records.append(record)

    def __len__(self) -> int:
        return len(self._records)

    def clear(self) -> None:
        """Forget every record (sequence numbers keep increasing)."""
        with self._lock:
            self._records.clear()

    def query(
        self,
        *,
        path: str | None = None,
        method: str | None = None,
        status: int | str | None = None,
        fault: str | None = None,
        since_seq: int | None = None,
        limit: int | None = None,
    ) -> list[RequestRecord]:
        """Matching records, oldest first; ``limit`` keeps the most recent ones.

        Args:
            path: A glob (``*`` also matches ``/``) or, without wildcards, a path prefix.
            method: Exact HTTP method (case-insensitive).
            status: A code (``429``) or a class (``"5xx"``).
            fault: Only requests where this fault was applied (``"any"`` for any fault).
            since_seq: Only records with ``seq > since_seq`` (for polling).
            limit: At most this many (the newest).
        """
        return self._filter(self.snapshot(), path, method, status, fault, since_seq, limit)

    def count(self, **filters: Any) -> int:
        """How many records match (same filters as ``query``)."""
        return len(self.query(**filters))

    def snapshot(self) -> list[RequestRecord]:
        """All records, oldest first."""
        with self._lock:
            return list(self._records)

    @staticmethod
    def _filter(
        records: Iterable[RequestRecord],
        path: str | None,
        method: str | None,
        status: int | str | None,
        fault: str | None,
        since_seq: int | None,
        limit: int | None,
    ) -> list[RequestRecord]:
        path_ok, status_ok = _path_matcher(path), _status_matcher(status)
        wanted_method = method.upper() if method else None
        result = [
            r
            for r in records
            if (since_seq is None or r.seq > since_seq)
            and (wanted_method is None or r.method == wanted_method)
            and (status_ok is None or status_ok(r.status))
            and (path_ok is None or path_ok(r.path))
            and (fault is None or (bool(r.faults) if fault == "any" else fault in r.faults))
        ]
        if limit is not None:
            result = result[-limit:] if limit > 0 else []
        return result


class RequestRecorder:
    """Outermost core middleware: times each platform request and appends its record to the log.

    It puts a ``RequestNote`` in the scope for the inner middlewares (faults, limits) and handlers.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: RequestLog,
        clock: Clock,
        logged_headers: Iterable[str] = DEFAULT_LOGGED_HEADERS,
    ) -> None:
        self.app = app
        self.log = log
        self.clock = clock
        self.logged_headers = frozenset(name.lower().encode("latin-1") for name in logged_headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_platform_http(scope):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        at = self.clock.now()
        note = RequestNote()
        scope[NOTE_SCOPE_KEY] = note
        status = CLIENT_CLOSED
        logged = False

        def log_once() -> None:
            nonlocal logged
            if not logged:
                logged = True
                self.log.append(
                    self._record(scope, at, status, (time.perf_counter() - started) * 1000.0, note)
                )

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif is_final_body(message):
                # Log before the last byte leaves: a client that got its answer finds it in the log.
                log_once()
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except BaseException:
            if status == CLIENT_CLOSED:
                status = 500
            raise
        finally:
            log_once()

    def _record(
        self, scope: Scope, at: datetime, status: int, duration_ms: float, note: RequestNote
    ) -> RequestRecord:
        auth_scheme: str | None = None
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth_scheme = value.split(b" ", 1)[0].decode("latin-1")
            elif name in self.logged_headers:
                headers[name.decode("latin-1")] = value.decode("latin-1")
        return RequestRecord(
            seq=self.log.next_seq(),
            at=at,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            status=status,
            duration_ms=duration_ms,
            auth_scheme=auth_scheme,
            headers=headers,
            faults=tuple(note.faults) if note.faults else (),
            extra=dict(note.extra) if note.extra else {},
        )
