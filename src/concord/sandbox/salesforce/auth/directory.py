"""Connected apps (consumer key and secret, optional JWT certificate, client-credentials run-as user) and
users' login credentials (password, security token), kept in the emulator's store.

Passwords and security tokens are stored salted and hashed; consumer secrets are kept as given
because the token response is signed with them, as the platform does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from concord.sandbox.core.docstore import DocStore

APPS = "sf_connected_apps"
CREDENTIALS = "sf_credentials"


class DirectoryError(ValueError):
    """A connected app or credential that cannot be registered (bad certificate ...)."""


@dataclass(frozen=True)
class ConnectedApp:
    """A connected app as the token endpoint sees it.

    Attributes:
        client_id: The consumer key.
        client_secret: The consumer secret.
        certificate: PEM certificate (or public key) whose RSA key verifies JWT bearer assertions.
        run_as: Username the client-credentials flow runs as (the flow is refused without one).
    """

    client_id: str
    client_secret: str
    certificate: str | None = None
    run_as: str | None = None

    def public_key(self) -> RSAPublicKey | None:
        """The RSA key of ``certificate``, or None."""
        return None if self.certificate is None else load_rsa_public_key(self.certificate)


@dataclass(frozen=True)
class Login:
    """A user's credentials: ``user_id`` of the User record, username, password hash, token hash."""

    user_id: str
    username: str
    salt: str
    password_hash: str
    token_hash: str


def load_rsa_public_key(pem: str) -> RSAPublicKey:
    """The RSA public key of a PEM certificate or PEM public key.

    Raises:
        DirectoryError: when ``pem`` is neither, or the key is not RSA.
    """
    data = pem.encode()
    try:
        key: Any = x509.load_pem_x509_certificate(data).public_key()
    except ValueError:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise DirectoryError("certificate must be a PEM X.509 certificate or PEM public key") from exc
    if not isinstance(key, RSAPublicKey):
        raise DirectoryError("JWT bearer certificates must hold an RSA key (assertions are RS256)")
    return key


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


class Directory:
    """Connected apps and login credentials of the emulated org."""

    def __init__(self, store: DocStore) -> None:
        self._store = store
        store.define(APPS, id_kind="str")
        store.define(CREDENTIALS, id_kind="str")

    def put_app(self, app: ConnectedApp) -> None:
        """Register or replace a connected app.

        Raises:
            DirectoryError: when its certificate is unusable.
        """
        app.public_key()
        self._store.put(APPS, app.client_id, app.__dict__)

    def app(self, client_id: str) -> ConnectedApp | None:
        """The connected app with this consumer key, or None."""
        doc = self._store.get(APPS, client_id)
        return None if doc is None else ConnectedApp(**doc.data)

    def apps(self) -> list[ConnectedApp]:
        """Every connected app."""
        return [ConnectedApp(**doc.data) for doc in self._store.scan(APPS)]

    def put_login(self, user_id: str, username: str, password: str, security_token: str) -> None:
        """Register or replace a user's credentials."""
        salt = secrets.token_hex(8)
        login = Login(user_id, username, salt, _hash(salt, password), _hash(salt, security_token))
        self._store.put(CREDENTIALS, username.casefold(), login.__dict__)

    def login(self, username: str) -> Login | None:
        """The credentials of ``username`` (case-insensitive), or None."""
        doc = self._store.get(CREDENTIALS, username.casefold())
        return None if doc is None else Login(**doc.data)

    def check_password(self, username: str, password: str) -> Login | None:
        """The login when ``password`` is the user's password, optionally followed by their security
        token (loopback callers count as a trusted IP range, so the token may be left out); else None."""
        login = self.login(username)
        if login is None:
            return None
        if hmac.compare_digest(_hash(login.salt, password), login.password_hash):
            return login
        for split in range(len(password) - 1, 0, -1):
            head, tail = password[:split], password[split:]
            if hmac.compare_digest(_hash(login.salt, head), login.password_hash) and hmac.compare_digest(
                _hash(login.salt, tail), login.token_hash
            ):
                return login
        return None
