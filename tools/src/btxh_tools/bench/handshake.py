"""The full handshake for a 100k-line package (BENCHMARKS.md: ≤ 30 s end to end on 2 cores):
list submitted → package sent → accepted → results → settlement report → closed, through a
real settlement-svc process, the broker and the post-office simulator. There is no floor: the
figure is the time, against the 30 s target.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from btxh_common.chunks import split
from btxh_common.envelope import Envelope
from btxh_common.events import PaymentListSubmitted, PaymentListSubmittedChunk
from btxh_common.outbox import make_producer
from btxh_common.topics import PAYMENT_EVENTS, POSTOFFICE_INBOUND, POSTOFFICE_OUTBOUND

from btxh_tools.bench.common import SEED, BenchContext, report
from btxh_tools.harness import start_stack
from btxh_tools.postoffice_sim import Behaviour, PostOffice, running

DISTRICT = "001"


def _lines(n: int, round_: int) -> list[dict[str, Any]]:
    """The round's lines: new people every round (the same people again in the same period
    would be a second payment, raised and never applied: ``paid_in_other_package``)."""
    rng = random.Random(f"{SEED}:{round_}")
    return [
        {
            "line_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "beneficiary_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "national_id": f"001{i:09d}",
            "full_name": f"Người {i}",
            "commune_code": "00001",
            "payment_channel": "cash",
            "bank_account": None,
            "amount": 500_000,
            "allowance": 500_000,
            "arrears": 0,
            "carried_over": 0,
            "recovery": 0,
            "kind": "monthly",
        }
        for i in range(n)
    ]


async def run(ctx: BenchContext) -> None:
    times = []
    with tempfile.TemporaryDirectory() as logs:
        env = {"settlement-svc": {"SCAN_SECONDS": "0.2", "LOG_LEVEL": "WARNING"}}
        async with start_stack(
            ctx.server, ctx.bootstrap, Path(logs), ["settlement-svc"], env
        ) as stack:
            sim = PostOffice(
                stack.bootstrap,
                Behaviour(results_delay=0.0, reorder=False),
                outbound=stack.topic(POSTOFFICE_OUTBOUND),
                inbound=stack.topic(POSTOFFICE_INBOUND),
                group="bench-sim",
            )
            producer = make_producer(stack.bootstrap)
            await producer.start()
            db = await asyncpg.connect(stack.dsns["settlement-svc"])
            try:
                async with running(sim):
                    for round_ in range(ctx.rounds):
                        rows = _lines(ctx.rows, round_)  # made before the clock starts
                        times.append(await _one(stack, producer, db, rows))
            finally:
                await db.close()
                await producer.stop()
    report(f"handshake_{ctx.rows // 1000}k_s", times, [])


async def _one(
    stack: Any, producer: Any, db: asyncpg.Connection, rows: list[dict[str, Any]]
) -> float:
    list_id = uuid.uuid4()
    chunks, manifest = split(rows, uuid.uuid4(), amount_field="amount")
    envelopes = [
        Envelope.wrap(
            PaymentListSubmittedChunk(chunk=c),
            producer="payment-svc",
            district_code=DISTRICT,
            correlation_id=str(list_id),
        )
        for c in chunks
    ]
    envelopes.append(
        Envelope.wrap(
            PaymentListSubmitted(
                list_id=list_id,
                period="2026-11",
                kind="monthly",
                version=1,
                submitted_by="bench",
                manifest=manifest,
            ),
            producer="payment-svc",
            district_code=DISTRICT,
            correlation_id=str(list_id),
        )
    )
    started = time.perf_counter()
    futures = [
        await producer.send(
            stack.topic(PAYMENT_EVENTS), e.to_bytes(), key=e.key(), headers=e.headers()
        )
        for e in envelopes
    ]
    await asyncio.gather(*futures)
    for _ in range(6000):  # 10 minutes at most
        if await db.fetchval(
            "SELECT 1 FROM settlement WHERE list_id = $1 AND state = 'received'", list_id
        ):
            break
        await asyncio.sleep(0.1)
    settlement = await db.fetchval("SELECT id FROM settlement WHERE list_id = $1", list_id)
    async with httpx.AsyncClient(
        base_url=stack.urls["settlement-svc"], headers=stack.token(DISTRICT), timeout=120
    ) as http:
        answer = await http.post(f"/v1/settlements/{settlement}/close", json={})
        assert answer.status_code == 200, answer.text
    elapsed = time.perf_counter() - started
    # the next round is a new period's list: free the district's slot
    await db.execute("UPDATE package SET state = 'superseded' WHERE list_id = $1", list_id)
    return elapsed
