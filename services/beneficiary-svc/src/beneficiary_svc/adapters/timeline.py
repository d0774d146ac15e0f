"""The policy timeline's SQL: decisions as recorded, and the periods they put in force."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from beneficiary_svc.domain.timeline import Decision, Period


async def add_decision(
    conn: asyncpg.Connection, beneficiary_id: UUID, district: str, d: Decision
) -> None:
    await conn.execute(
        """INSERT INTO policy_decision (beneficiary_id, district_code, effective_month, action,
               status, category, coefficient, decision_no, children, decision_date, signer,
               recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)""",
        beneficiary_id,
        district,
        d.month,
        d.action,
        d.status,
        d.category,
        d.coefficient,
        d.decision_no,
        d.children,
        d.decision_date,
        d.signer,
        d.recorded_by,
    )


async def decisions(conn: asyncpg.Connection, beneficiary_id: UUID) -> list[Decision]:
    """Every decision about the person, in the order recorded."""
    rows = await conn.fetch(
        """SELECT effective_month, action, status, category, coefficient, decision_no,
                  children
           FROM policy_decision WHERE beneficiary_id = $1 ORDER BY id""",
        beneficiary_id,
    )
    return [Decision(*r.values()) for r in rows]


async def replace_periods(
    conn: asyncpg.Connection, beneficiary_id: UUID, district: str, periods: list[Period]
) -> None:
    await conn.execute("DELETE FROM policy_period WHERE beneficiary_id = $1", beneficiary_id)
    await conn.executemany(
        """INSERT INTO policy_period (beneficiary_id, district_code, from_month, status,
               category, coefficient, children) VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        [(beneficiary_id, district, p.from_month, *p.values()) for p in periods],
    )


async def periods(conn: asyncpg.Connection, beneficiary_id: UUID) -> list[Period]:
    rows = await conn.fetch(
        """SELECT from_month, status, category, coefficient, children FROM policy_period
           WHERE beneficiary_id = $1 ORDER BY from_month""",
        beneficiary_id,
    )
    return [Period(*r.values()) for r in rows]


async def insert_many(
    conn: asyncpg.Connection, items: list[tuple[UUID, str, list[Decision], list[Period]]]
) -> None:
    """Many people's decisions and periods at once (each ``(id, district, decisions,
    periods)``), for people new to the register."""
    await conn.copy_records_to_table(
        "policy_decision",
        records=[
            (
                b,
                district,
                d.month,
                d.action,
                d.status,
                d.category,
                d.coefficient,
                d.decision_no,
                d.children,
                d.decision_date,
                d.signer,
                d.recorded_by,
            )
            for b, district, decisions, _ in items
            for d in decisions
        ],
        columns=[
            "beneficiary_id",
            "district_code",
            "effective_month",
            "action",
            "status",
            "category",
            "coefficient",
            "decision_no",
            "children",
            "decision_date",
            "signer",
            "recorded_by",
        ],
    )
    await conn.copy_records_to_table(
        "policy_period",
        records=[
            (b, district, p.from_month, *p.values())
            for b, district, _, periods in items
            for p in periods
        ],
        columns=[
            "beneficiary_id",
            "district_code",
            "from_month",
            "status",
            "category",
            "coefficient",
            "children",
        ],
    )
