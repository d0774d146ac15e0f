"""The short-lived token the gateway signs for one officer's calls (issue "Trust boundaries":
EdDSA, a ``kid`` the services find in their JWKS, ``sub``/``role``/``units``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from btxh_common.auth import ALGORITHM
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from btxh_gateway.accounts import Officer
from btxh_gateway.settings import GatewaySettings

DEV_KEY = "dev-signing-key.jwk.json"  # what `make up` keeps under .run/keys


@dataclass(frozen=True)
class Signer:
    kid: str
    key: Ed25519PrivateKey
    audience: str
    issuer: str
    ttl: timedelta

    def token(self, officer: Officer) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": officer.username,
            "role": officer.role.value,
            "units": list(officer.units),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + self.ttl,
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})


def _private_jwk(settings: GatewaySettings) -> str:
    if settings.signing_key.strip():
        return settings.signing_key
    if settings.signing_key_file:
        return Path(settings.signing_key_file).read_text()
    if settings.btxh_env == "local":
        run = Path(os.environ.get("BTXH_RUN_DIR", ".run")).resolve()
        return (run / "keys" / DEV_KEY).read_text()
    raise RuntimeError(
        "No signing key: set GATEWAY_SIGNING_KEY_FILE (the gateway's Ed25519 private JWK)"
    )


def load_signer(settings: GatewaySettings) -> Signer:
    jwk = json.loads(_private_jwk(settings))
    key = OKPAlgorithm.from_jwk(jwk)
    if not isinstance(key, Ed25519PrivateKey) or not jwk.get("kid"):
        raise RuntimeError("the gateway's signing key must be an Ed25519 private JWK with a kid")
    return Signer(
        kid=str(jwk["kid"]),
        key=key,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        ttl=timedelta(seconds=settings.token_ttl_seconds),
    )
