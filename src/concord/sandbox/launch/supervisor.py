"""Starting and stopping a sandbox: in the foreground until Ctrl-C, or detached in a background process
that ``stop`` ends through its pid file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from concord.sandbox.core import RunningServer, serve_foreground
from concord.sandbox.launch.access import ADMIN_PATH, EMULATORS, register_salesforce_jwt
from concord.sandbox.launch.apps import LaunchOptions, build_apps
from concord.sandbox.launch.credentials import ensure_credentials
from concord.sandbox.launch.state import (
    LOG_FILE,
    RunState,
    clear_state,
    is_sandbox_process,
    now_iso,
    read_pid,
    read_state,
    write_state,
)

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


class LaunchError(RuntimeError):
    """The sandbox could not be started (the message says why)."""


def healthy(base_url: str, timeout_s: float = 2.0) -> bool:
    """Whether the emulator at ``base_url`` answers ``/__sandbox/health``."""
    try:
        return httpx.get(base_url + ADMIN_PATH + "/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def running_state(data_dir: Path) -> RunState | None:
    """The state of the sandbox running from ``data_dir``, or ``None`` if none runs."""
    state = read_state(data_dir)
    return state if state is not None and is_sandbox_process(state.pid) else None


def _refuse_if_running(data_dir: Path) -> None:
    state = running_state(data_dir)
    if state is not None:
        raise LaunchError(
            f"a sandbox already runs from {data_dir} (pid {state.pid}); stop it with `concord sandbox down`"
        )


def run_foreground(
    options: LaunchOptions, *, detached: bool = False, on_ready: Callable[[RunState], None] | None = None
) -> None:
    """Serve the three emulators until SIGINT or SIGTERM (must run on the main thread).

    Once all accept connections the Salesforce JWT certificate is registered, the run state is written
    and ``on_ready`` is called; the state files are removed on exit.

    Raises:
        LaunchError: A sandbox already runs from this folder.
        ServerStartError: A port is taken.
    """
    data_dir = options.data_dir.resolve()
    creds = ensure_credentials(data_dir)
    _refuse_if_running(data_dir)
    bindings = build_apps(options, creds)

    def ready(servers: list[RunningServer]) -> None:
        urls = {binding.name: server.base_url for binding, server in zip(bindings, servers, strict=True)}
        state = RunState(os.getpid(), now_iso(), data_dir, options.profile, urls, detached)
        with httpx.Client(timeout=10.0) as client:
            register_salesforce_jwt(client, state.access())
        write_state(state)
        if on_ready is not None:
            on_ready(state)

    try:
        serve_foreground(bindings, on_ready=ready)
    finally:
        clear_state(data_dir, os.getpid())


def _child_command(options: LaunchOptions) -> list[str]:
    command = [sys.executable, "-m", "concord.sandbox.launch", "--data-dir", str(options.data_dir.resolve())]
    command += ["--host", options.host, "--profile", options.profile]
    for name in EMULATORS:
        command += [f"--{name}-port", str(options.ports[name])]
    return command


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_detached(options: LaunchOptions, timeout_s: float = START_TIMEOUT_S) -> RunState:
    """Start the sandbox in a background process and return once all three emulators answer.

    Its output goes to ``sandbox.log`` in the data folder.

    Raises:
        LaunchError: Already running, or the process exited or did not become healthy in time.
    """
    data_dir = options.data_dir.resolve()
    ensure_credentials(data_dir)
    _refuse_if_running(data_dir)
    log_path = data_dir / LOG_FILE
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            _child_command(options),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal that started it must not reach it
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise LaunchError(f"the sandbox process exited with status {code}:\n{_log_tail(log_path)}")
        state = read_state(data_dir)
        if (
            state is not None
            and state.pid == process.pid
            and all(healthy(url) for url in state.urls.values())
        ):
            return state
        time.sleep(0.1)
    process.terminate()
    raise LaunchError(f"the sandbox did not become healthy within {timeout_s:.0f} s:\n{_log_tail(log_path)}")


def _reap(pid: int) -> None:
    # A sandbox started by this very process (benchmarks) would otherwise linger as a zombie.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _reap(pid)
        if not is_sandbox_process(pid):
            return True
        time.sleep(0.05)
    return False


def stop(data_dir: Path, timeout_s: float = STOP_TIMEOUT_S) -> str:
    """Stop the sandbox running from ``data_dir`` (SIGTERM, then SIGKILL after ``timeout_s``).

    Returns:
        ``"stopped"``, ``"killed"``, ``"stale"`` (state files of a dead process, removed) or
        ``"not running"``.
    """
    data_dir = data_dir.resolve()
    state = read_state(data_dir)
    pid = state.pid if state is not None else read_pid(data_dir)
    if pid is None:
        return "not running"
    if not is_sandbox_process(pid):
        clear_state(data_dir)
        return "stale"
    os.kill(pid, signal.SIGTERM)
    outcome = "stopped"
    if not _wait_gone(pid, timeout_s):
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 5.0)
        outcome = "killed"
    clear_state(data_dir)
    return outcome
