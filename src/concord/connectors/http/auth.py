"""OAuth2 access tokens: obtained through a platform's grant, cached, renewed before they expire and once
after the platform refuses them (401).

A *grant* is any ``async () -> AccessToken``: client credentials, a JWT bearer assertion, a refresh token.
The manager runs at most one grant at a time, so a hundred calls that all meet an expired token cause
one token request, not a hundred. Token values never appear in ``repr`` or logs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token as a grant returned it.

    Attributes:
        value: The token (a secret: kept out of ``repr``).
        expires_in: Lifetime in seconds from when it was requested, if the platform says.
        details: Non-secret facts from the token response (Salesforce's ``instance_url``, scopes ...).
    """

    value: str = field(repr=False)
    expires_in: float | None = None
    details: Mapping[str, str] = field(default_factory=dict)


Grant = Callable[[], Awaitable[AccessToken]]


@dataclass(frozen=True, slots=True)
class _Held:
    token: AccessToken
    renew_at: float | None


class TokenManager:
    """Caches one access token and renews it.

    Args:
        grant: Obtains a new token (raises a Concord error when the platform refuses).
        refresh_margin_s: Renew this long before the token expires (at most half its lifetime).
        default_ttl_s: Lifetime to assume when the grant gives none (None: renew only after a 401).
        clock: Monotonic seconds.
        system: The platform's name, for logs.
    """

    def __init__(
        self,
        grant: Grant,
        *,
        refresh_margin_s: float = 60.0,
        default_ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        system: str = "target",
    ) -> None:
        self._grant = grant
        self._margin = refresh_margin_s
        self._default_ttl = default_ttl_s
        self._clock = clock
        self._system = system
        self._held: _Held | None = None
        self._lock = asyncio.Lock()
        self.grants_run = 0

    async def token(self) -> AccessToken:
        """A token that is not about to expire (obtained or renewed if needed)."""
        held = self._held
        if held is not None and not self._due(held):
            return held.token
        async with self._lock:
            held = self._held
            if held is not None and not self._due(held):
                return held.token
            return await self._obtain("expiry" if held is not None else "first use")

    async def renew(self, stale: AccessToken | None = None) -> AccessToken:
        """A new token after the platform refused ``stale``.

        If another caller already replaced ``stale`` while this one waited, that token is returned and
        no second grant runs.
        """
        async with self._lock:
            held = self._held
            if held is not None and stale is not None and held.token is not stale and not self._due(held):
                return held.token
            return await self._obtain("refused by the platform")

    def invalidate(self) -> None:
        """Forget the cached token (the next call obtains a new one)."""
        self._held = None

    @property
    def cached(self) -> AccessToken | None:
        """The cached token, if any (whether or not it is due for renewal)."""
        return None if self._held is None else self._held.token

    def _due(self, held: _Held) -> bool:
        return held.renew_at is not None and self._clock() >= held.renew_at

    async def _obtain(self, why: str) -> AccessToken:
        started = self._clock()
        token = await self._grant()
        self.grants_run += 1
        lifetime = token.expires_in if token.expires_in is not None else self._default_ttl
        renew_at = None
        if lifetime is not None:
            renew_at = started + lifetime - min(self._margin, lifetime / 2)
        self._held = _Held(token, renew_at)
        log.debug("access token obtained", system=self._system, reason=why, lifetime_s=lifetime)
        return token
