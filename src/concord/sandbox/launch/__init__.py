"""Running a sandbox: the three emulators on loopback with their own SQLite files, credentials and key
pairs kept in a data folder (``./.sandbox`` by default), in the foreground or detached, plus the run
state (``sandbox.json``) that ``concord sandbox status``, ``seed`` and ``faults`` read to find them."""

from __future__ import annotations

from concord.sandbox.launch.access import EMULATORS, SandboxAccess, TokenError, fetch_tokens
from concord.sandbox.launch.apps import (
    DEFAULT_DATA_DIR,
    DEFAULT_PORT_BASE,
    LaunchOptions,
    build_apps,
    ports_from,
)
from concord.sandbox.launch.credentials import (
    CredentialsError,
    SandboxCredentials,
    ensure_credentials,
    load_credentials,
)
from concord.sandbox.launch.state import RunState, read_state
from concord.sandbox.launch.supervisor import (
    LaunchError,
    healthy,
    run_foreground,
    running_state,
    start_detached,
    stop,
)

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_PORT_BASE",
    "EMULATORS",
    "CredentialsError",
    "LaunchError",
    "LaunchOptions",
    "RunState",
    "SandboxAccess",
    "SandboxCredentials",
    "TokenError",
    "build_apps",
    "ensure_credentials",
    "fetch_tokens",
    "healthy",
    "load_credentials",
    "ports_from",
    "read_state",
    "run_foreground",
    "running_state",
    "start_detached",
    "stop",
]
