"""The minting side of the gateway's tokens, for the local stack and tests only.

An Ed25519 key pair with a key id: the private half signs (``mint_token``), the public half
is the JWKS a service is given (``JWT_PUBLIC_KEYS`` / ``JWT_PUBLIC_KEYS_FILE``). ``make up``
keeps a dev pair under ``.run/keys`` (``ensure_dev_keys``); it is never used outside
``BTXH_ENV=local``. A real deployment's private key lives with the gateway only.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from btxh_common.auth import ALGORITHM, Role
from btxh_common.settings import ServiceSettings
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

PRIVATE_FILE = "dev-signing-key.jwk.json"  # dev only: the private key, never in a service
JWKS_FILE = "jwks.json"  # what the services are given


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        return cls(kid or f"dev-{uuid.uuid4().hex[:8]}", Ed25519PrivateKey.generate())

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}

    def private_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.private, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM}

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> SigningKey:
        key = OKPAlgorithm.from_jwk(jwk)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(str(jwk["kid"]), key)


def jwks(*keys: SigningKey) -> str:
    """The public JWKS of ``keys`` (several during a rotation), as a service reads it."""
    return json.dumps({"keys": [k.public_jwk() for k in keys]})


def mint_token(
    key: SigningKey,
    *,
    officer_id: str,
    role: Role,
    units: list[str],
    ttl: timedelta = timedelta(hours=8),
    settings: ServiceSettings | None = None,
) -> str:
    """A gateway token for ``officer_id``, signed by ``key``."""
    audience = settings.jwt_audience if settings else "btxh"
    issuer = settings.jwt_issuer if settings else "btxh-gateway"
    now = datetime.now(UTC)
    claims = {
        "sub": officer_id,
        "role": role.value,
        "units": sorted(units),
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})


def dev_keys_dir() -> Path:
    """The local stack's key folder (next to its state, ``BTXH_RUN_DIR``)."""
    return Path(os.environ.get("BTXH_RUN_DIR", ".run")).resolve() / "keys"


def load_dev_key(folder: Path | None = None) -> SigningKey:
    path = (folder or dev_keys_dir()) / PRIVATE_FILE
    return SigningKey.from_jwk(json.loads(path.read_text()))


def ensure_dev_keys(folder: Path | None = None) -> SigningKey:
    """The local stack's dev key pair, generated on first use; the private half readable by
    its owner only. Returns the signing key; ``folder / JWKS_FILE`` is the public set."""
    folder = folder or dev_keys_dir()
    if (folder / PRIVATE_FILE).is_file() and (folder / JWKS_FILE).is_file():
        return load_dev_key(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    private = folder / PRIVATE_FILE
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(key.private_jwk(), out)
    (folder / JWKS_FILE).write_text(jwks(key))
    return key
