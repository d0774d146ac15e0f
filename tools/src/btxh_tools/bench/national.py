"""A national month (BENCHMARKS.md ``national_month_3500k``; issue 15): ``districts`` × 5,000
lines generated, submitted, sent, acknowledged, paid in parts, settled and closed, on the
embedded stack — payment-svc and settlement-svc as real processes, the embedded broker, the
post-office simulator — on this 2-core machine. Target: ≤ 10 minutes for 700 districts
(3.5M lines), growth linear in lines; printed for 70, 200 and 700 districts.

Not measured: seeding payment-svc's read model of the register (``recipient``,
``recipient_policy``), COPY'd straight into its tables as ``monthly_list_1000k`` does (the
register's own import is what the import benches measure). import-svc and beneficiary-svc are
not started: nothing of theirs is on this path.

Measured, driven through the services' HTTP APIs and the bus, one district's officer (token)
per district, ``CONCURRENCY`` requests at a time:
1. generate: open the period and generate the monthly list, every district (HTTP);
2. submit: submit every list (HTTP) — payment-svc's outbox carries the lines in chunks;
3. then on the bus, timed when the last district reaches each step: the package sent to the
   post office (settlement-svc), acknowledged, every settlement report received (the results
   came in parts before it);
4. close: every settlement closed by its officer (HTTP);
5. settled: every list ``settled`` in payment-svc, each line paid or unpaid.
The books are checked at the end (no line pending; paid + unpaid = the lists' totals).
Printed: the total, each phase, and each process's peak RSS and CPU seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from btxh_common.clock import current_month, month_text
from btxh_common.topics import POSTOFFICE_INBOUND, POSTOFFICE_OUTBOUND

from btxh_tools.bench.common import BenchContext, report
from btxh_tools.bench.national_parts import (
    LINES_PER_DISTRICT,
    Watch,
    district_codes,
    seed_register,
)
from btxh_tools.harness import Stack, start_stack
from btxh_tools.postoffice_sim import Behaviour, PostOffice, running

CONCURRENCY = 4
STALL_SECONDS = 300  # no step moves for this long: the run is broken, not slow
SERVICES = ["payment-svc", "settlement-svc"]
ENV = {
    "payment-svc": {"LOG_LEVEL": "WARNING"},
    "settlement-svc": {"LOG_LEVEL": "WARNING", "SCAN_SECONDS": "1"},
}

# step name → (database, query counting the districts that reached it)
STEPS: dict[str, tuple[str, str]] = {
    "sent": ("settlement-svc", "SELECT count(*) FROM package WHERE sent_at IS NOT NULL"),
    "acknowledged": (
        "settlement-svc",
        "SELECT count(*) FROM package WHERE acknowledged_at IS NOT NULL",
    ),
    "reports": ("settlement-svc", "SELECT count(*) FROM settlement WHERE state <> 'open'"),
    "settled": ("payment-svc", "SELECT count(*) FROM payment_list WHERE status = 'settled'"),
}


async def run(ctx: BenchContext) -> None:
    for count in ctx.districts:
        await national_month(ctx, count)


async def national_month(ctx: BenchContext, count: int) -> None:
    districts = district_codes(count)
    month = current_month()
    with tempfile.TemporaryDirectory() as logs:
        async with start_stack(ctx.server, ctx.bootstrap, Path(logs), SERVICES, ENV) as stack:
            seeded = await seed_register(stack.dsns["payment-svc"], districts, month)
            print(f"  seeded {count * LINES_PER_DISTRICT:,} recipients by COPY in {seeded:.1f} s")
            sim = PostOffice(
                stack.bootstrap,
                Behaviour(results_delay=0.0, pay_share=0.9),
                outbound=stack.topic(POSTOFFICE_OUTBOUND),
                inbound=stack.topic(POSTOFFICE_INBOUND),
                group="bench-national-sim",
            )
            dbs = {name: await asyncpg.connect(stack.dsns[name]) for name in SERVICES}
            pids = {name: p.pid for name, p in stack.processes.items()}
            watch = Watch.of(pids, stack.topic_prefix.rstrip("."))
            try:
                async with running(sim):
                    phases = await _month(stack, dbs, watch, districts, month)
                watch.stop()
                books = await _books(dbs, count)
            finally:
                for db in dbs.values():
                    await db.close()
    total = sum(phases.values())
    lines = count * LINES_PER_DISTRICT
    report(f"national_month_{lines // 1000}k", [total], [], watch.service_peak_mb())
    print(f"  {count} districts × {LINES_PER_DISTRICT:,} lines: {books}")
    print("  " + "  ".join(f"{k} {v:.1f}s" for k, v in phases.items()))
    print(f"  {lines / total:,.0f} lines/s overall")
    for line in watch.lines():
        print(line)


async def _month(
    stack: Stack,
    dbs: dict[str, asyncpg.Connection],
    watch: Watch,
    districts: list[str],
    month: date,
) -> dict[str, float]:
    """The measured part: seconds of each phase, in order."""
    period = month_text(month)
    phases: dict[str, float] = {}
    tokens = {d: stack.token(d) for d in districts}
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with (
        httpx.AsyncClient(base_url=stack.urls["payment-svc"], timeout=300, limits=limits) as pay,
        httpx.AsyncClient(base_url=stack.urls["settlement-svc"], timeout=300, limits=limits) as st,
        _sampling(watch),
    ):
        clock = time.perf_counter()

        async def generate(d: str) -> str:
            opened = await pay.post(
                f"/v1/districts/{d}/periods", json={"month": period}, headers=tokens[d]
            )
            assert opened.status_code == 201, opened.text
            made = await pay.post(
                f"/v1/districts/{d}/periods/{period}/lists", json={}, headers=tokens[d]
            )
            assert made.status_code == 201, made.text
            assert made.json()["lines"] == LINES_PER_DISTRICT, made.text
            return str(made.json()["id"])

        lists = dict(zip(districts, await _each(districts, generate), strict=True))
        clock = _lap(phases, "generate", clock)

        async def submit(d: str) -> None:
            sent = await pay.post(f"/v1/lists/{lists[d]}/submit", headers=tokens[d])
            assert sent.status_code == 202, sent.text

        await _each(districts, submit)
        clock = _lap(phases, "submit", clock)
        for step in ("sent", "acknowledged", "reports"):
            await _until(dbs, step, len(districts))
            clock = _lap(phases, step, clock)

        settlements = await dbs["settlement-svc"].fetch("SELECT id, district_code FROM settlement")

        async def close(row: asyncpg.Record) -> None:
            closed = await st.post(
                f"/v1/settlements/{row['id']}/close", json={}, headers=tokens[row["district_code"]]
            )
            assert closed.status_code == 200, closed.text

        await _each(list(settlements), close)
        clock = _lap(phases, "close", clock)
        await _until(dbs, "settled", len(districts))
        _lap(phases, "settled", clock)
    return phases


def _lap(phases: dict[str, float], name: str, since: float) -> float:
    now = time.perf_counter()
    phases[name] = now - since
    return now


async def _each(items: list[Any], work: Callable[[Any], Awaitable[Any]]) -> list[Any]:
    """``work`` for every item, ``CONCURRENCY`` at a time; results in the items' order."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(item: Any) -> Any:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(i) for i in items)))


async def _until(dbs: dict[str, asyncpg.Connection], step: str, target: int) -> None:
    name, query = STEPS[step]
    seen, moved = -1, time.monotonic()
    while True:
        reached = int(await dbs[name].fetchval(query))
        if reached >= target:
            return
        if reached != seen:
            seen, moved = reached, time.monotonic()
        if time.monotonic() - moved > STALL_SECONDS:
            raise RuntimeError(f"{step}: stuck at {reached}/{target} for {STALL_SECONDS} s")
        await asyncio.sleep(0.25)


@contextlib.asynccontextmanager
async def _sampling(watch: Watch) -> Any:
    async def loop() -> None:
        while True:
            watch.sample()
            await asyncio.sleep(0.5)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _books(dbs: dict[str, asyncpg.Connection], count: int) -> str:
    """Every line has the post office's word or the close's, and payment-svc's paid and unpaid
    money is what the post office's settlement reports say."""
    pay, st = dbs["payment-svc"], dbs["settlement-svc"]
    rows = await pay.fetch(
        "SELECT status, count(*) AS n, sum(total)::bigint AS amount FROM payment_line GROUP BY 1"
    )
    by = {r["status"]: (r["n"], r["amount"]) for r in rows}
    assert set(by) == {"paid", "unpaid"}, by
    assert sum(n for n, _ in by.values()) == count * LINES_PER_DISTRICT, by
    reported = await st.fetchrow(
        """SELECT sum((report->>'paid_count')::bigint) AS paid_n,
                  sum((report->>'paid_amount')::bigint) AS paid,
                  sum((report->>'unpaid_count')::bigint) AS unpaid_n,
                  sum((report->>'unpaid_amount')::bigint) AS unpaid
           FROM settlement WHERE state = 'closed'"""
    )
    assert (reported["paid_n"], reported["paid"]) == by["paid"], (dict(reported), by)
    assert (reported["unpaid_n"], reported["unpaid"]) == by["unpaid"], (dict(reported), by)
    settled = await pay.fetchval("SELECT count(*) FROM payment_list WHERE status = 'settled'")
    assert settled == count, settled
    return ", ".join(f"{s} {n:,} lines {a:,} VND" for s, (n, a) in sorted(by.items()))
