"""The three emulator apps of a sandbox, each with its own SQLite file in the data folder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from concord.sandbox.core import AppBinding, EmulatorSettings, ProfileMode
from concord.sandbox.kantata import create_app as create_kantata
from concord.sandbox.launch.access import EMULATORS
from concord.sandbox.launch.credentials import SandboxCredentials
from concord.sandbox.netsuite import create_app as create_netsuite
from concord.sandbox.salesforce import create_app as create_salesforce

DEFAULT_PORT_BASE = 8701
DEFAULT_DATA_DIR = Path(".sandbox")


def ports_from(base: int) -> dict[str, int]:
    """Ports ``base``, ``base + 1``, ``base + 2`` for Salesforce, Kantata and NetSuite (all 0 for 0)."""
    return {name: (base + offset if base else 0) for offset, name in enumerate(EMULATORS)}


@dataclass(frozen=True)
class LaunchOptions:
    """Where and how to run a sandbox.

    Attributes:
        data_dir: Folder of the SQLite files, credentials, keys and run state.
        host: Interface to listen on (loopback: the admin API has no authentication).
        ports: Port per emulator; 0 picks a free one.
        profile: ``instant`` or ``realistic``.
    """

    data_dir: Path = DEFAULT_DATA_DIR
    host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=lambda: ports_from(DEFAULT_PORT_BASE))
    profile: ProfileMode = "instant"


def build_apps(options: LaunchOptions, creds: SandboxCredentials) -> list[AppBinding]:
    """The three apps, bound to their ports, configured with the sandbox's credentials."""
    data_dir = options.data_dir.resolve()

    def settings(name: str, credentials: dict[str, str]) -> EmulatorSettings:
        return EmulatorSettings(
            name=name,
            host=options.host,
            port=options.ports[name],
            data_dir=data_dir,
            profile=options.profile,
            credentials=credentials,
        )

    apps: dict[str, FastAPI] = {
        "salesforce": create_salesforce(
            settings("salesforce", {creds.salesforce.client_id: creds.salesforce.client_secret})
        ),
        "kantata": create_kantata(
            settings("kantata", {creds.kantata.client_id: creds.kantata.client_secret})
        ),
        "netsuite": create_netsuite(settings("netsuite", creds.netsuite_mapping())),
    }
    return [AppBinding(apps[name], options.host, options.ports[name], name) for name in EMULATORS]
