"""SQL of the payment unit's settings per district ("last" day of the month is stored as 0)."""

from __future__ import annotations

import asyncpg

from settlement_svc.domain.payment_unit import Day, PaymentUnitSettings, default_settings


def _day_to_db(day: Day) -> int:
    return 0 if day == "last" else day


def _day_from_db(value: int) -> Day:
    return "last" if value == 0 else value


async def get_settings(conn: asyncpg.Connection, district: str) -> PaymentUnitSettings | None:
    row = await conn.fetchrow(
        """SELECT district_code, list_cutoff_day, settlement_cutoff_day,
                  months_per_settlement, integrated
           FROM payment_unit_settings WHERE district_code = $1""",
        district,
    )
    if row is None:
        return None
    values = dict(row)
    for key in ("list_cutoff_day", "settlement_cutoff_day"):
        values[key] = _day_from_db(values[key])
    return PaymentUnitSettings(**values)


async def settings_or_default(conn: asyncpg.Connection, district: str) -> PaymentUnitSettings:
    return await get_settings(conn, district) or default_settings(district)


async def put_settings(conn: asyncpg.Connection, s: PaymentUnitSettings, officer: str) -> None:
    await conn.execute(
        """INSERT INTO payment_unit_settings (district_code, list_cutoff_day,
               settlement_cutoff_day, months_per_settlement, integrated, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (district_code) DO UPDATE SET
               list_cutoff_day = EXCLUDED.list_cutoff_day,
               settlement_cutoff_day = EXCLUDED.settlement_cutoff_day,
               months_per_settlement = EXCLUDED.months_per_settlement,
               integrated = EXCLUDED.integrated,
               updated_by = EXCLUDED.updated_by,
               updated_at = now()""",
        s.district_code,
        _day_to_db(s.list_cutoff_day),
        _day_to_db(s.settlement_cutoff_day),
        s.months_per_settlement,
        s.integrated,
        officer,
    )
