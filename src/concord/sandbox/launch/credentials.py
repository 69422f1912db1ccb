"""The sandbox's client credentials, made once per data folder and kept there.

``credentials.json`` (mode 0600) holds the client ids and secrets the emulators accept; private keys are
separate PEM files under ``keys/`` (mode 0600) and are only ever referred to by path:

- Salesforce: a connected app (consumer key and secret, for the client-credentials and password grants)
  whose certificate is an RSA key pair, for the JWT bearer grant (``sub`` = the integration username).
- Kantata: an OAuth client id and secret.
- NetSuite: an OAuth 2.0 client-credentials mapping (client id, certificate id) with an EC P-256 key pair:
  clients sign ES256 assertions with the private key.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from concord.sandbox.netsuite import DEFAULT_ACCOUNT_ID
from concord.sandbox.salesforce import DEFAULT_PASSWORD, DEFAULT_SECURITY_TOKEN, DEFAULT_USERNAME

CREDENTIALS_FILE = "credentials.json"
KEYS_DIR = "keys"
_VERSION = 1


class CredentialsError(RuntimeError):
    """The credentials file is missing or unreadable (the message says which file and why)."""


@dataclass(frozen=True)
class SalesforceCredentials:
    """What a Salesforce client needs: connected app, integration user, JWT key pair."""

    client_id: str
    client_secret: str
    username: str
    password: str
    security_token: str
    jwt_private_key: Path
    jwt_public_key: Path


@dataclass(frozen=True)
class KantataCredentials:
    """What a Kantata client needs."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class NetSuiteCredentials:
    """What a NetSuite client needs for the client-credentials (JWT assertion) flow."""

    account_id: str
    client_id: str
    certificate_id: str
    private_key: Path
    public_key: Path


@dataclass(frozen=True)
class SandboxCredentials:
    """Credentials of all three emulators, and the file they live in."""

    salesforce: SalesforceCredentials
    kantata: KantataCredentials
    netsuite: NetSuiteCredentials
    path: Path

    def salesforce_certificate(self) -> str:
        """The PEM public key registered on the Salesforce connected app."""
        return self.salesforce.jwt_public_key.read_text()

    def netsuite_mapping(self) -> dict[str, str]:
        """The NetSuite emulator's ``credentials`` setting: ``"<client id>:<certificate id>"`` → PEM."""
        pem = self.netsuite.public_key.read_text()
        return {f"{self.netsuite.client_id}:{self.netsuite.certificate_id}": pem}


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pair(
    folder: Path, stem: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    private = folder / f"{stem}.key.pem"
    public = folder / f"{stem}.pub.pem"
    _write_private(
        private,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def _generate(data_dir: Path) -> SandboxCredentials:
    keys = data_dir / KEYS_DIR
    sf_private, sf_public = _key_pair(keys, "salesforce-jwt", rsa.generate_private_key(65537, 2048))
    ns_private, ns_public = _key_pair(keys, "netsuite-m2m", ec.generate_private_key(ec.SECP256R1()))
    return SandboxCredentials(
        salesforce=SalesforceCredentials(
            client_id=f"3MVG9sandbox{secrets.token_hex(12)}",
            client_secret=secrets.token_hex(32),
            username=DEFAULT_USERNAME,
            password=DEFAULT_PASSWORD,
            security_token=DEFAULT_SECURITY_TOKEN,
            jwt_private_key=sf_private.resolve(),
            jwt_public_key=sf_public.resolve(),
        ),
        kantata=KantataCredentials(
            client_id=f"sandbox-{secrets.token_hex(8)}", client_secret=secrets.token_hex(32)
        ),
        netsuite=NetSuiteCredentials(
            account_id=DEFAULT_ACCOUNT_ID,
            client_id=secrets.token_hex(32),
            certificate_id=secrets.token_urlsafe(30).replace("-", "A").replace("_", "b"),
            private_key=ns_private.resolve(),
            public_key=ns_public.resolve(),
        ),
        path=(data_dir / CREDENTIALS_FILE).resolve(),
    )


def _to_json(creds: SandboxCredentials) -> dict[str, Any]:
    def plain(part: Any) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(part).items()}

    return {
        "version": _VERSION,
        "salesforce": plain(creds.salesforce),
        "kantata": plain(creds.kantata),
        "netsuite": plain(creds.netsuite),
    }


def load_credentials(data_dir: Path) -> SandboxCredentials:
    """Read the credentials of the sandbox in ``data_dir``.

    Raises:
        CredentialsError: No credentials file, or one that cannot be read.
    """
    path = data_dir / CREDENTIALS_FILE
    try:
        raw = json.loads(path.read_text())
        sf, kt, ns = raw["salesforce"], raw["kantata"], raw["netsuite"]
        return SandboxCredentials(
            salesforce=SalesforceCredentials(
                **{
                    **sf,
                    "jwt_private_key": Path(sf["jwt_private_key"]),
                    "jwt_public_key": Path(sf["jwt_public_key"]),
                }
            ),
            kantata=KantataCredentials(**kt),
            netsuite=NetSuiteCredentials(
                **{**ns, "private_key": Path(ns["private_key"]), "public_key": Path(ns["public_key"])}
            ),
            path=path.resolve(),
        )
    except FileNotFoundError:
        raise CredentialsError(
            f"{path} does not exist: start the sandbox with `concord sandbox up`"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CredentialsError(f"{path} cannot be read ({exc}); delete it to make new credentials") from exc


def ensure_credentials(data_dir: Path) -> SandboxCredentials:
    """The credentials of ``data_dir``, made (keys generated, file written) on first use."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if (data_dir / CREDENTIALS_FILE).exists():
        return load_credentials(data_dir)
    creds = _generate(data_dir)
    _write_private(creds.path, json.dumps(_to_json(creds), indent=2).encode())
    return creds
