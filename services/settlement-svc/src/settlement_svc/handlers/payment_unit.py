"""Reading and writing a district's payment-unit settings."""

from __future__ import annotations

import asyncpg

from settlement_svc.adapters import payment_unit as db
from settlement_svc.domain.errors import PaymentUnitNotSet
from settlement_svc.domain.payment_unit import PaymentUnitSettings


async def read(conn: asyncpg.Connection, district: str) -> PaymentUnitSettings:
    found = await db.get_settings(conn, district)
    if found is None:
        raise PaymentUnitNotSet()
    return found


async def write(conn: asyncpg.Connection, settings: PaymentUnitSettings, officer: str) -> None:
    await db.put_settings(conn, settings, officer)
