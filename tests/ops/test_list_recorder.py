"""A monthly list's record (``PaymentListRecorded`` with every line, what a restored
payment-svc rebuilds the list from) is published by payment-svc's recorder after the
generation, on the real stack:

1. a list generated over HTTP, with no other command after it, is recorded and its record
   published to the bus within seconds;
2. payment-svc SIGKILLed between a generation and its record (the state that crash leaves is
   made while it is down: the list unrecorded, no record in its outbox) records the list
   when it starts again, once, from the lines as kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
from btxh_tools.harness import start_stack
from btxh_tools.polling import until

from tests.ops.test_restore import D, all_sent, client, fetchval, months, seeded, start


async def _records(dsn: str, list_id: str) -> list[dict[str, Any]]:
    """The heads of the list's records in payment-svc's outbox: sent or not."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT body, sent_at IS NOT NULL AS sent FROM outbox"
            " WHERE event_type = 'PaymentListRecorded' ORDER BY id"
        )
    finally:
        await conn.close()
    heads = [{**json.loads(r["body"])["payload"], "sent": r["sent"]} for r in rows]
    return [h for h in heads if h["list_id"] == list_id]


async def _recorded_and_sent(dsn: str, list_id: str) -> bool:
    heads = await _records(dsn, list_id)
    return bool(heads) and all(h["sent"] for h in heads)


async def test_a_generated_list_is_recorded_after_it_and_again_after_a_crash(
    pg_server: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    this, _ = months()
    period = f"{this:%Y-%m}"
    async with start_stack(
        pg_server, kafka_bootstrap, tmp_path, ["beneficiary-svc", "payment-svc"]
    ) as world:
        await seeded(world, {"payment-svc": "recipient"})
        dsn = world.dsns["payment-svc"]
        async with client(world, "payment-svc") as pay:
            opened = await pay.post(f"/v1/districts/{D}/periods", json={"month": period})
            assert opened.status_code == 201, opened.text
            made = await pay.post(f"/v1/districts/{D}/periods/{period}/lists", json={})
            assert made.status_code == 201, made.text
            list_id, lines = made.json()["id"], made.json()["lines"]
            assert lines > 0

            # 1. recorded after the generation, by the recorder alone, and published
            await until("the list recorded and sent", lambda: _recorded_and_sent(dsn, list_id))
            (head,) = await _records(dsn, list_id)
            assert head["manifest"]["row_count"] == lines

            # 2. a crash between the generation and its record
            world.kill("payment-svc")
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(
                    "UPDATE payment_list SET recorded = false WHERE id = $1::uuid", list_id
                )
                await conn.execute(
                    "DELETE FROM outbox WHERE event_type LIKE 'PaymentListRecorded%'"
                )
            finally:
                await conn.close()
            start(world, "payment-svc")
            await until("recorded again", lambda: _recorded_and_sent(dsn, list_id))
            await until("payment-svc published it all", lambda: all_sent(world, "payment-svc"))
            (again,) = await _records(dsn, list_id)  # once
            assert again["manifest"] == head["manifest"]  # the same lines, count, total, hash
            sql = "SELECT recorded FROM payment_list WHERE id = $1::uuid"
            assert await fetchval(dsn, sql, list_id) is True
