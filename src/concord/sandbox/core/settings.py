"""Settings every emulator is started with."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ProfileMode = Literal["instant", "realistic"]


class EmulatorSettings(BaseModel):
    """How one emulator instance is run.

    Attributes:
        name: Short emulator name (``"salesforce"``, ``"kantata"``, ``"netsuite"``); names the SQLite file.
        host: Interface to listen on; loopback by default because the admin API has no auth.
        port: TCP port; 0 picks any free port.
        data_dir: Folder of the emulator's SQLite file (``data_dir / f"{name}.db"``); ``None`` keeps the
            data in memory, which is what tests usually want.
        profile: ``"instant"`` (no added latency, no limits) or ``"realistic"`` (the platform's latency,
            concurrency and daily call limits, see ``PlatformProfile``).
        credentials: Client ids mapped to the secrets the token endpoint accepts. Never logged.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    data_dir: Path | None = None
    profile: ProfileMode = "instant"
    credentials: dict[str, str] = Field(default_factory=dict, repr=False)

    @property
    def db_path(self) -> Path | None:
        """The SQLite file of this emulator, or ``None`` for an in-memory store."""
        if self.data_dir is None:
            return None
        return self.data_dir / f"{self.name}.db"
