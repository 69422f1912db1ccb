"""The run state of a sandbox in its data folder: ``sandbox.pid`` and ``sandbox.json`` (pid, start time,
profile, each emulator's URL, the credentials file), written once all three answer and removed on exit."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from concord.sandbox.launch.access import EMULATORS, SandboxAccess
from concord.sandbox.launch.credentials import load_credentials

PID_FILE = "sandbox.pid"
STATE_FILE = "sandbox.json"
LOG_FILE = "sandbox.log"


@dataclass(frozen=True)
class RunState:
    """A running (or last known) sandbox.

    Attributes:
        pid: The process serving the emulators.
        started_at: When it became ready (UTC, ISO).
        data_dir: Its data folder (absolute).
        profile: The profile it started with.
        urls: Base URL per emulator.
        detached: Whether it runs in the background.
    """

    pid: int
    started_at: str
    data_dir: Path
    profile: str
    urls: dict[str, str]
    detached: bool

    def to_json(self) -> dict[str, Any]:
        """The ``sandbox.json`` document."""
        return {
            "pid": self.pid,
            "started_at": self.started_at,
            "data_dir": str(self.data_dir),
            "profile": self.profile,
            "detached": self.detached,
            "credentials_file": str(self.data_dir / "credentials.json"),
            "emulators": {name: {"base_url": self.urls[name]} for name in EMULATORS},
        }

    def access(self) -> SandboxAccess:
        """How to reach this sandbox (reads its credentials)."""
        return SandboxAccess(
            self.urls["salesforce"],
            self.urls["kantata"],
            self.urls["netsuite"],
            load_credentials(self.data_dir),
        )


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text)
    temporary.replace(path)


def write_state(state: RunState) -> None:
    """Write ``sandbox.json`` and ``sandbox.pid`` (each replaced atomically)."""
    _atomic_write(state.data_dir / STATE_FILE, json.dumps(state.to_json(), indent=2))
    _atomic_write(state.data_dir / PID_FILE, f"{state.pid}\n")


def read_state(data_dir: Path) -> RunState | None:
    """The state recorded in ``data_dir``, or ``None`` when there is none (or it is unreadable)."""
    try:
        raw = json.loads((data_dir / STATE_FILE).read_text())
        return RunState(
            pid=int(raw["pid"]),
            started_at=str(raw["started_at"]),
            data_dir=Path(raw["data_dir"]),
            profile=str(raw["profile"]),
            urls={name: str(raw["emulators"][name]["base_url"]) for name in EMULATORS},
            detached=bool(raw.get("detached", False)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_pid(data_dir: Path) -> int | None:
    """The pid in ``sandbox.pid``, if any."""
    try:
        return int((data_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def clear_state(data_dir: Path, pid: int | None = None) -> None:
    """Remove the state files (only if they belong to ``pid`` when one is given)."""
    if pid is not None and read_pid(data_dir) not in (pid, None):
        return
    for name in (STATE_FILE, PID_FILE):
        with contextlib.suppress(FileNotFoundError):
            (data_dir / name).unlink()


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (zombies count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return True
    return status != "Z"


def is_sandbox_process(pid: int) -> bool:
    """Whether ``pid`` is alive and looks like a sandbox server (guards against a recycled pid)."""
    if not process_alive(pid):
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return True  # no /proc (macOS): trust the pid file
    return "concord" in command or "sandbox" in command
