"""The books as the cross-service tests check them: what the register owes, computed from the
register alone (DOMAIN "Amounts"), independently of payment-svc's SQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import asyncpg


async def register_owes(
    register: asyncpg.Connection, district: str, month: date, level: int
) -> dict[str, int]:
    """Money owed per beneficiary id for ``month`` at standard level ``level``: the allowance
    if in force that month (× the children for a single parent), plus arrears due by then,
    minus recovery (at most the gross)."""
    rows = await register.fetch("SELECT * FROM beneficiary WHERE district_code = $1", district)
    owed = {}
    for r in rows:
        in_force = (
            r["coefficient"] is not None
            and r["allowance_start_month"] <= month
            and (
                r["status"] == "active"
                or (
                    r["status"] in ("suspended", "under_review", "stopped")
                    and r["status_effective_month"] > month
                )
                or (r["status"] == "deceased" and r["death_date"] >= month)
            )
        )
        # the single-parent allowance (DON_THAN) is per child (DOMAIN's coefficient table)
        children = (r["children"] or 1) if r["category"] == "DON_THAN" else 1
        allowance = level * r["coefficient"] * children // 10 if in_force else 0
        arrears = r["arrears_amount"] if r["arrears_amount"] and r["arrears_period"] <= month else 0
        gross = allowance + arrears
        if gross:
            owed[str(r["id"])] = gross - min(r["recovery_amount"], gross)
    return owed


async def until(
    what: str,
    check: Callable[[], Awaitable[Any]],
    timeout: float = 120,  # noqa: ASYNC109 - a polling deadline, not a call's timeout
    *,
    tolerate: tuple[type[BaseException], ...] = (),
) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``.
    Exceptions in ``tolerate`` (a service being restarted) count as "not yet"."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            if value := await check():
                return value
        except tolerate:
            pass
        await asyncio.sleep(0.25)
    raise AssertionError(f"never: {what}")
