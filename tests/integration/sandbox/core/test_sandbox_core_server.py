"""Serving apps: in a thread (ready on return, clean stop) and in the foreground until a signal."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest
from sandbox_core_tiny import build_tiny_app

from concord.sandbox.core import ServerStartError, start_in_thread


def test_accepts_connections_as_soon_as_it_returns_and_refuses_after_stop() -> None:
    server = start_in_thread(build_tiny_app())
    try:
        assert server.port > 0
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{server.base_url}/__sandbox/health").status_code == 200
    finally:
        server.stop()

    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/__sandbox/health")


def test_busy_port_fails_at_once() -> None:
    with start_in_thread(build_tiny_app()) as first, pytest.raises(ServerStartError, match="cannot listen"):
        start_in_thread(build_tiny_app(), port=first.port)


def test_many_servers_start_and_stop_without_leaking_threads() -> None:
    before = threading.active_count()

    for _ in range(3):
        with start_in_thread(build_tiny_app()) as server:
            assert httpx.get(f"{server.base_url}/tiny/other").status_code == 200

    assert threading.active_count() <= before + 1  # at most an idle anyio worker


def test_stop_does_not_wait_for_a_hung_request() -> None:
    server = start_in_thread(build_tiny_app(), graceful_timeout_s=1)
    httpx.post(f"{server.base_url}/__sandbox/faults", json={"timeout_rate": 1.0, "hang_s": 60})
    sock = socket.create_connection((server.host, server.port))
    sock.sendall(b"GET /tiny/other HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.1)

    started = time.perf_counter()
    server.stop()
    sock.close()

    assert time.perf_counter() - started < 5
    assert not server.running


@pytest.mark.slow
def test_serve_foreground_until_sigterm() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        from sandbox_core_tiny import build_tiny_app
        from concord.sandbox.core import AppBinding, serve_foreground

        def ready(servers):
            print(" ".join(s.base_url for s in servers), flush=True)

        serve_foreground([AppBinding(build_tiny_app()), AppBinding(build_tiny_app())], on_ready=ready)
        print("stopped", flush=True)
        """
    )
    here = str(Path(__file__).parent)
    process = subprocess.Popen(
        [sys.executable, "-c", script, here], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        urls = process.stdout.readline().split()
        assert len(urls) == 2
        assert all(httpx.get(f"{url}/__sandbox/health").status_code == 200 for url in urls)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill() if process.poll() is None else None

    assert process.returncode == 0, err
    assert out.strip() == "stopped"
