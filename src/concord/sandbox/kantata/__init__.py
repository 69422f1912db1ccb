"""Kantata OX (formerly Mavenlink) API v1 emulator: projects, tasks, time, expenses, approvals,
external references and the subscribed events feed, served the way the real platform answers."""

from __future__ import annotations

from concord.sandbox.kantata.app import create_app
from concord.sandbox.kantata.profile import KANTATA_PROFILE

__all__ = ["KANTATA_PROFILE", "create_app"]
