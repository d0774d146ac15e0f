"""The gateway's signed token: who the officer is, their role, the units they may act on.

Districts are walls: ``Principal.require_unit`` answers 404 (not 403) for a unit outside the
token, so another district's data cannot even be confirmed to exist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt
from pydantic import BaseModel, ConfigDict, ValidationError

from btxh_common.problems import Forbidden, NotFound, Unauthorized
from btxh_common.settings import ServiceSettings


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


def mint_token(
    settings: ServiceSettings,
    *,
    officer_id: str,
    role: Role,
    units: list[str],
    ttl: timedelta = timedelta(hours=8),
) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": officer_id,
        "role": role.value,
        "units": sorted(units),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)


def verify_token(settings: ServiceSettings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
        return Principal(officer_id=claims["sub"], role=claims["role"], units=claims["units"])
    except (jwt.PyJWTError, KeyError, ValidationError) as exc:
        raise Unauthorized("Mã xác thực không hợp lệ hoặc đã hết hạn") from exc
