"""The gateway's signed token: who the officer is, their role, the units they may act on.

The gateway signs with its Ed25519 private key (EdDSA); a service holds only the public keys
(a JWKS, by key id) and accepts nothing else: no other algorithm, no unknown ``kid``, no token
without ``exp`` and ``iat`` or living longer than ``jwt_max_lifetime_seconds``. Without keys
a service refuses to start, except on the local stack (``BTXH_ENV=local``), which falls back
to the dev key pair ``make up`` generated under ``.run/keys``.

Districts are walls: ``Principal.require_unit`` answers 404 (not 403) for a unit outside the
token, so another district's data cannot even be confirmed to exist.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict, ValidationError

from btxh_common.problems import Forbidden, NotFound, Unauthorized
from btxh_common.settings import ServiceSettings

ALGORITHM = "EdDSA"  # the only one accepted
LEEWAY_SECONDS = 30  # clock skew between the gateway and a service
REFUSED_VI = "Mã xác thực không hợp lệ hoặc đã hết hạn"


class Role(StrEnum):
    DISTRICT_OFFICER = "district_officer"  # keeps the register and lists of their units
    DISTRICT_SUPERVISOR = "district_supervisor"  # also unlocks data and periods, manual status
    PROVINCE_OFFICER = "province_officer"  # reads the districts listed in the token


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)
    officer_id: str
    role: Role
    units: frozenset[str]

    def can_see(self, unit_code: str) -> bool:
        return unit_code in self.units

    def require_unit(self, unit_code: str) -> None:
        if not self.can_see(unit_code):
            raise NotFound()

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden()


class KeyConfigError(RuntimeError):
    """The service has no usable public key: it must not start."""


def local_dev_jwks() -> Path:
    """Where the local stack keeps the dev public keys (``btxh_tools.tokens`` writes them)."""
    return Path(os.environ.get("BTXH_RUN_DIR", ".run")).resolve() / "keys" / "jwks.json"


def parse_jwks(text: str, where: str) -> dict[str, jwt.PyJWK]:
    """Public Ed25519 keys by ``kid``; anything else in the set is a configuration error."""
    try:
        document = json.loads(text)
        entries: list[dict[str, Any]] = document["keys"]
        assert isinstance(entries, list)
    except (ValueError, KeyError, TypeError, AssertionError) as exc:
        raise KeyConfigError(f"{where}: not a JWKS document ({{'keys': [...]}})") from exc
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries:
        kid = entry.get("kid")
        if (entry.get("kty"), entry.get("crv")) != ("OKP", "Ed25519") or not kid:
            raise KeyConfigError(f"{where}: every key must be Ed25519 (OKP) with a kid")
        if "d" in entry:
            raise KeyConfigError(f"{where}: key {kid} is a private key; give services public keys")
        if kid in keys:
            raise KeyConfigError(f"{where}: key id {kid} appears twice")
        keys[kid] = jwt.PyJWK({**entry, "alg": ALGORITHM})
    return keys


def _configured_jwks(settings: ServiceSettings) -> list[tuple[str, str]]:
    sources = []
    if settings.jwt_public_keys.strip():
        sources.append(("JWT_PUBLIC_KEYS", settings.jwt_public_keys))
    if settings.jwt_public_keys_file:
        path = Path(settings.jwt_public_keys_file)
        try:
            sources.append((f"JWT_PUBLIC_KEYS_FILE={path}", path.read_text()))
        except OSError as exc:
            raise KeyConfigError(f"JWT_PUBLIC_KEYS_FILE={path}: cannot be read ({exc})") from exc
    if not sources and settings.btxh_env == "local" and local_dev_jwks().is_file():
        sources.append((f"local dev keys {local_dev_jwks()}", local_dev_jwks().read_text()))
    return sources


def load_verifier(settings: ServiceSettings) -> TokenVerifier:
    """The verifier over the configured public keys; ``KeyConfigError`` when there are none."""
    keys: dict[str, jwt.PyJWK] = {}
    for where, text in _configured_jwks(settings):
        for kid, key in parse_jwks(text, where).items():
            if kid in keys:
                raise KeyConfigError(f"{where}: key id {kid} is configured twice")
            keys[kid] = key
    if not keys:
        local = (
            f" (BTXH_ENV=local: no dev keys at {local_dev_jwks()} either; `make up` makes them)"
            if settings.btxh_env == "local"
            else " (only BTXH_ENV=local falls back to the local stack's dev keys)"
        )
        raise KeyConfigError(
            "No public key to verify tokens with: set JWT_PUBLIC_KEYS_FILE (a JWKS file) or "
            "JWT_PUBLIC_KEYS (the JWKS inline) to the gateway's public keys" + local
        )
    return TokenVerifier(settings, keys)


class TokenVerifier:
    """Verifies the gateway's EdDSA tokens against a fixed set of public keys."""

    def __init__(self, settings: ServiceSettings, keys: dict[str, jwt.PyJWK]) -> None:
        self.settings = settings
        self.keys = keys

    def verify(self, token: str) -> Principal:
        try:
            return self._verify(token)
        except (jwt.PyJWTError, KeyError, TypeError, ValidationError) as exc:
            raise Unauthorized(REFUSED_VI) from exc

    def _verify(self, token: str) -> Principal:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise jwt.InvalidAlgorithmError(f"alg {header.get('alg')!r} is not accepted")
        key = self.keys.get(header.get("kid") or "")
        if key is None:
            raise jwt.InvalidKeyError("unknown key id")
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[ALGORITHM],
            audience=self.settings.jwt_audience,
            issuer=self.settings.jwt_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["sub", "exp", "iat", "iss", "aud"]},
        )
        lifetime = claims["exp"] - claims["iat"]
        if not 0 < lifetime <= self.settings.jwt_max_lifetime_seconds:
            raise jwt.InvalidTokenError(f"a lifetime of {lifetime} s is not accepted")
        return Principal(officer_id=claims["sub"], role=claims["role"], units=claims["units"])


def verify_token(settings: ServiceSettings, token: str) -> Principal:
    """One-off verification (tests, tools); a service keeps one verifier (``ServiceState``)."""
    return load_verifier(settings).verify(token)
