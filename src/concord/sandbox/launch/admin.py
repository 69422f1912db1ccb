"""A small client of the emulators' admin API (``/__sandbox``): health, reset, clock, profile, faults.

The JSON shapes are those of ``concord.sandbox.core.admin``. Every function takes the emulator's base URL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx

from concord.sandbox.launch.access import ADMIN_PATH

_TIMEOUT = 10.0


class AdminError(RuntimeError):
    """The admin API refused a request or could not be reached (the message says which and why)."""


def _call(method: str, base_url: str, path: str, body: Any = None) -> Any:
    url = base_url.rstrip("/") + ADMIN_PATH + path
    try:
        response = httpx.request(method, url, json=body, timeout=_TIMEOUT)
    except httpx.HTTPError as exc:
        raise AdminError(f"{url} cannot be reached: {exc}") from exc
    if response.status_code >= 400:
        raise AdminError(f"{method} {url} answered {response.status_code}: {response.text[:500]}")
    return response.json() if response.content else None


def health(base_url: str) -> dict[str, Any]:
    """``GET /health``."""
    result: dict[str, Any] = _call("GET", base_url, "/health")
    return result


def reset(base_url: str, *, faults: bool = True, clock: bool = True) -> None:
    """Wipe the emulator's data, request log and call counters, and unless told otherwise its fault rules
    and clock (``POST /reset``)."""
    _call("POST", base_url, "/reset", {"faults": faults, "clock": clock})


def today(base_url: str) -> date:
    """The emulator clock's current date."""
    now = _call("GET", base_url, "/clock")["now"]
    return datetime.fromisoformat(str(now)).date()


def list_faults(base_url: str) -> list[dict[str, Any]]:
    """The installed fault rules, each with its ``stats``."""
    rules: list[dict[str, Any]] = _call("GET", base_url, "/faults")["rules"]
    return rules


def add_fault(base_url: str, rule: dict[str, Any]) -> dict[str, Any]:
    """Install one rule (a ``FaultRule`` as JSON); returns it with its ``id``."""
    added: dict[str, Any] = _call("POST", base_url, "/faults", rule)
    return added


def clear_faults(base_url: str) -> None:
    """Remove every rule."""
    _call("DELETE", base_url, "/faults")


def remove_fault(base_url: str, rule_id: str) -> None:
    """Remove one rule by id."""
    _call("DELETE", base_url, f"/faults/{rule_id}")


def set_profile(base_url: str, mode: str) -> dict[str, Any]:
    """Switch to the ``instant`` or ``realistic`` profile; returns the profile view."""
    view: dict[str, Any] = _call("PUT", base_url, "/profile", {"mode": mode})
    return view
