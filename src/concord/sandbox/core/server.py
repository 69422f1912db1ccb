"""Run emulator apps with uvicorn: in a background thread (tests, ``concord sandbox up``) or in the
foreground until interrupted."""

from __future__ import annotations

import gc
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any

import uvicorn

_START_TIMEOUT_S = 10.0


class ServerStartError(RuntimeError):
    """The server did not come up (port in use, app startup failed...)."""


class RunningServer:
    """A uvicorn server running in a daemon thread. Use ``stop()``, or ``with`` to stop it on exit.

    Attributes:
        host: Interface it listens on.
        port: The actual port (useful when 0 was asked for).
        base_url: ``http://host:port``.
        app: The served ASGI app.
    """

    def __init__(
        self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket, app: Any
    ) -> None:
        self._server = server
        self._thread = thread
        self._sock = sock
        self.app = app
        self.host, self.port = sock.getsockname()[:2]
        self.base_url = f"http://{_url_host(self.host)}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server thread is alive."""
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread (idempotent)."""
        self._server.should_exit = True
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout_s)
        self._sock.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningServer({self.base_url}, running={self.running})"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
    # and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServerStartError(f"cannot listen on {host}:{port}: {exc}") from exc
    return sock


def start_in_thread(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    graceful_timeout_s: int = 1,
    start_timeout_s: float = _START_TIMEOUT_S,
) -> RunningServer:
    """Serve ``app`` in a background thread; return once it accepts connections.

    The socket is bound here, so a busy port fails at once with ``ServerStartError``. Access logs are off
    (they would cost more than the emulated work) and uvicorn leaves signal handlers alone off the main
    thread. On ``stop()``, requests still running after ``graceful_timeout_s`` (hung faults, slow drips)
    are cancelled.
    """
    sock = _bind(host, port)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=graceful_timeout_s,
        timeout_keep_alive=5,
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit from uvicorn on a failed startup, too
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"sandbox-server-{sock.getsockname()[1]}", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(start_timeout_s)
            sock.close()
            raise ServerStartError(f"server on {host}:{port} did not start: {failure or 'timeout'}")
        time.sleep(0.005)
    return RunningServer(server, thread, sock, app)


@dataclass(frozen=True)
class AppBinding:
    """One app to serve in the foreground, and where."""

    app: Any
    host: str = "127.0.0.1"
    port: int = 0
    name: str = ""


def serve_foreground(
    apps: Sequence[AppBinding], *, on_ready: Callable[[list[RunningServer]], None] | None = None
) -> None:
    """Serve every app until SIGINT/SIGTERM, then stop them all; blocks the calling thread.

    Must run on the main thread (it installs the signal handlers, and restores the previous ones).
    Each app runs in its own server thread, as with ``start_in_thread``.

    Args:
        apps: What to serve.
        on_ready: Called with the running servers once all accept connections (e.g. to print URLs).
    """
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    running: list[RunningServer] = []
    try:
        for binding in apps:
            running.append(start_in_thread(binding.app, binding.host, binding.port))
        if on_ready is not None:
            on_ready(running)
        _settle_heap()
        while not stop.wait(0.5):
            if not all(server.running for server in running):
                break
    finally:
        for server in running:
            server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _settle_heap() -> None:
    """Leave the start-up heap (FastAPI, pydantic, the catalogues: long-lived) out of the collector's
    full passes, and let it run less often: a batch request allocates thousands of short-lived
    containers, and with the default threshold the collector ran several times per request. This is
    the serving process's own setting (``serve_foreground`` owns the process); threads started by tests
    do not call it."""
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, _GEN0_THRESHOLD), gen1, gen2)


_GEN0_THRESHOLD = 10_000
