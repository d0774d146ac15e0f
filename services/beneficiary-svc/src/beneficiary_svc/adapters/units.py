"""Administrative units: loaded from the ``vietnam-provinces`` data package (0.6.x: province,
district, commune — the three-level list of the seeds' district-level guide), never typed by
hand, and read back."""

from __future__ import annotations

import json
from importlib.resources import files

import asyncpg

Unit = tuple[str, str, str, str | None]  # code, level, name, parent_code


def load_units() -> list[Unit]:
    data = json.loads(
        (files("vietnam_provinces") / "data" / "nested-divisions.json").read_text("utf-8")
    )
    units: list[Unit] = []
    for province in data:
        p = f"{province['code']:02d}"
        units.append((p, "province", province["name"], None))
        for district in province["districts"]:
            d = f"{district['code']:03d}"
            units.append((d, "district", district["name"], p))
            units += [(f"{w['code']:05d}", "commune", w["name"], d) for w in district["wards"]]
    return units


async def ensure_units(conn: asyncpg.Connection) -> int:
    """Load the catalogue once into an empty table; returns the number of units loaded."""
    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM admin_unit)"):
        return 0
    units = load_units()
    async with conn.transaction():
        await conn.execute("LOCK TABLE admin_unit IN EXCLUSIVE MODE")
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM admin_unit)"):
            return 0
        await conn.copy_records_to_table(
            "admin_unit", records=units, columns=["code", "level", "name", "parent_code"]
        )
    return len(units)


async def unit(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT code, level, name, parent_code FROM admin_unit WHERE code = $1", code
    )


async def communes(conn: asyncpg.Connection, district: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT code, name FROM admin_unit WHERE parent_code = $1 AND level = 'commune'
           ORDER BY code""",
        district,
    )
    return rows
