"""payment-svc restored to a dump taken before its own commands (issue 21): the period
opened, a list generated and submitted, a line's status recorded by hand, the period
locked. Nothing else holds them; it rebuilds them from the events it published
(``PaymentPeriodOpened``, ``PaymentListRecorded`` and its chunks, ``PaymentListSubmitted``,
``PaymentStatusUpdated``, ``PaymentPeriodLocked``), each once: a second start puts nothing
back again.

The rebuild once put nothing back now and then (a third of the starts, measured): its
topic reader's client, assigned the partitions, looked up the "latest" position by default,
and when that answer came after ``seek_to_beginning`` aiokafka applied it to the seek
(``libs/common/tests/test_topic_read.py``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from btxh_common.auth import Role
from btxh_tools.harness import start_stack
from btxh_tools.polling import until

from tests.ops.test_restore import (
    D,
    _list_status,
    all_sent,
    client,
    dump,
    fetchval,
    months,
    put_back,
    seeded,
    start,
)


async def _published(dsn: str) -> dict[str, str]:
    """event id → type of what the database knows it published."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT event_id::text AS id, event_type FROM outbox")
    finally:
        await conn.close()
    return {r["id"]: r["event_type"] for r in rows}


async def _rebuilt(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT event_id::text AS id FROM rebuilt_event")
    finally:
        await conn.close()
    return {r["id"] for r in rows}


async def test_own_commands_after_the_dump_are_rebuilt_from_the_bus_once(
    pg_server: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    this, _ = months()
    period = f"{this:%Y-%m}"
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    names = ["beneficiary-svc", "payment-svc", "settlement-svc"]
    async with start_stack(pg_server, kafka_bootstrap, tmp_path, names) as world:
        await seeded(world, {"payment-svc": "recipient"})
        async with client(world, "payment-svc") as pay:
            backup = tmp_path / "payment-svc.dump"
            await dump(world, "payment-svc", backup)
            kept = await _published(world.dsns["payment-svc"])

            # after the dump: the period opened
            opened = await pay.post(f"/v1/districts/{D}/periods", json={"month": period})
            assert opened.status_code == 201, opened.text

            # the list made, submitted, sent; one line paid by hand; the period locked
            made = (await pay.post(f"/v1/districts/{D}/periods/{period}/lists", json={})).json()
            assert (await pay.post(f"/v1/lists/{made['id']}/submit")).status_code == 202
            await until("the list sent", lambda: _list_status(pay, made["id"], "sent"))
            lines = await _lines(pay, made["id"])
            one = lines[0]["id"]
            by_hand = await pay.post(
                f"/v1/lists/{made['id']}/statuses",
                headers=world.token(D, role=Role.DISTRICT_SUPERVISOR),
                json={
                    "exceptions": [{"line_id": one, "status": "paid", "paid_on": str(today)}],
                    "reason": "chi trả tại nhà",
                },
            )
            assert by_hand.status_code == 200, by_hand.text
            locked = await pay.post(f"/v1/districts/{D}/periods/{period}/lock", json={})
            assert locked.status_code == 200, locked.text
            await until("payment-svc published it all", lambda: all_sent(world, "payment-svc"))
            before = await _books(pay, made["id"], period)
            published = await _published(world.dsns["payment-svc"])
            assert [ln["status"] for ln in before["lines"] if ln["id"] == one] == ["paid"]
            assert before["period"]["status"] == "locked"

            await put_back(world, pg_server, "payment-svc", backup)
            count = "SELECT count(*) FROM payment_period"
            assert await fetchval(world.dsns["payment-svc"], count) == 0
            start(world, "payment-svc")
            await until("the list back", lambda: _list_status(pay, made["id"], "sent"))
            assert await _books(pay, made["id"], period) == before
            # every event published after the dump is remembered as put back (the list's
            # record chunks are read with their head)
            lost = {e: t for e, t in published.items() if e not in kept}
            assert set(lost.values()) >= {
                "PaymentPeriodOpened",
                "PaymentListRecorded",
                "PaymentListSubmitted",
                "PaymentStatusUpdated",
                "PaymentPeriodLocked",
            }
            expected = {e for e, t in lost.items() if t != "PaymentListRecorded.lines"}
            assert await _rebuilt(world.dsns["payment-svc"]) == expected

            world.kill("payment-svc")
            start(world, "payment-svc")
            assert await _books(pay, made["id"], period) == before
            assert await _rebuilt(world.dsns["payment-svc"]) == expected


async def _lines(pay: httpx.AsyncClient, list_id: str) -> list[dict[str, Any]]:
    answer = await pay.get(f"/v1/lists/{list_id}/lines", params={"size": 5000})
    return sorted(answer.json()["lines"], key=lambda ln: str(ln["id"]))


async def _books(pay: httpx.AsyncClient, list_id: str, period: str) -> dict[str, Any]:
    periods = (await pay.get(f"/v1/districts/{D}/periods")).json()
    return {
        "list": (await pay.get(f"/v1/lists/{list_id}")).json(),
        "lines": await _lines(pay, list_id),
        "period": next(p for p in periods["periods"] if p["period"] == period),
    }
