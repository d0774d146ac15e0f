"""The e2e month while a driver kills services (SIGKILL) at seeded random points and restarts
them, restarts the broker once between two steps (after every in-flight event was consumed),
and freezes it (SIGSTOP … SIGCONT) during a step. Afterwards: no line lost, none applied or
paid twice, every outbox drained, no dead letter, the books balance.

``make test`` runs one seed with a short freeze; ``make chaos`` runs ``CHAOS_SEEDS`` (20 by
default) seeds with a one-minute freeze. Every action is printed with its seed, so a failing
run is replayed with ``CHAOS_SEEDS=<seed>``.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import openpyxl
import pytest
import pytest_asyncio
from beneficiary_svc.demo import seed as seed_district
from btxh_common.broker import ensure_topics
from btxh_common.testing.infra import TansuBroker
from btxh_common.topics import (
    ALL_TOPICS,
    BENEFICIARY_EVENTS,
    POSTOFFICE_INBOUND,
    POSTOFFICE_OUTBOUND,
)
from btxh_tools.harness import Stack, start_stack
from btxh_tools.polling import until as wait_until
from btxh_tools.postoffice_sim import Behaviour, PostOffice, running
from btxh_tools.register_feed import register_owes

D = "001"
PEOPLE = 800
SEEDS = [int(s) for s in os.environ.get("CHAOS_SEEDS", "1").split(",")]
FREEZE_SECONDS = float(os.environ.get("CHAOS_FREEZE_SECONDS", "8"))
SERVICES = ["import-svc", "beneficiary-svc", "payment-svc", "settlement-svc"]
ENV = {
    "settlement-svc": {
        "SCAN_SECONDS": "0.5",
        "RESEND_BASE_SECONDS": "3",
        "RESEND_MAX_SECONDS": "10",
        "RESEND_MAX_ATTEMPTS": "50",
    }
}


async def until(what: str, check: Callable[[], Awaitable[Any]], timeout: float = 240) -> Any:
    """Poll; a service being restarted (refused connection, HTTP error) counts as "not yet"."""
    return await wait_until(
        what, check, timeout, tolerate=(httpx.HTTPError, OSError, asyncpg.PostgresError)
    )


class Driver:
    """Runs the month's steps, breaking things in between as the seed says."""

    def __init__(self, seed: int, stack: Stack, broker: TansuBroker) -> None:
        self.rng = random.Random(seed)
        self.seed, self.stack, self.broker = seed, stack, broker
        self.actions: list[str] = []
        self.restart_at = self.rng.randrange(2, 6)
        self.freeze_at = self.rng.choice([i for i in range(2, 7) if i != self.restart_at])
        self.step_no = 0

    def say(self, text: str) -> None:
        line = f"[chaos seed={self.seed} step={self.step_no}] {text}"
        self.actions.append(line)
        print(line, flush=True)

    async def step(self, name: str, work: Callable[[], Awaitable[Any]]) -> Any:
        self.step_no += 1
        if self.step_no == self.restart_at:
            await self.restart_broker()
        victims = [s for s in SERVICES if self.rng.random() < 0.35]
        for victim in victims:
            self.say(f"SIGKILL {victim} before '{name}'")
            self.stack.kill(victim)
        for victim in victims:
            self.stack.start(victim)
        for victim in victims:
            await asyncio.to_thread(self.stack.wait_ready, victim, 120)
            self.say(f"{victim} restarted")
        if self.step_no == self.freeze_at:
            self.say(f"SIGSTOP broker for {FREEZE_SECONDS:.0f} s during '{name}'")
            assert self.broker.process is not None
            self.broker.process.send_signal(signal.SIGSTOP)
            task = asyncio.create_task(work())
            await asyncio.sleep(FREEZE_SECONDS)
            self.broker.process.send_signal(signal.SIGCONT)
            self.say("SIGCONT broker")
            result = await task
        else:
            result = await work()
        if self.rng.random() < 0.3:  # and once in a while, kill right after a step too
            victim = self.rng.choice(SERVICES)
            self.say(f"SIGKILL {victim} after '{name}'")
            self.stack.kill(victim)
            self.stack.start(victim)
            await asyncio.to_thread(self.stack.wait_ready, victim, 120)
        return result

    async def restart_broker(self) -> None:
        await until("every outbox drained", lambda: all_drained(self.stack))
        await asyncio.sleep(3)  # and consumed
        self.say(
            "restart broker (the embedded broker keeps nothing: topics made again, "
            "as a cluster's would have survived)"
        )
        await asyncio.to_thread(self.broker.restart)
        await ensure_topics(self.broker.bootstrap, [self.stack.topic(t) for t in ALL_TOPICS], 6)


async def all_drained(stack: Stack) -> bool:
    for name in SERVICES:
        conn = await asyncpg.connect(stack.dsns[name])
        try:
            if await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
                return False
        finally:
            await conn.close()
    return True


@pytest_asyncio.fixture
async def world(pg_server: str, tmp_path: Path) -> AsyncIterator[tuple[Stack, TansuBroker]]:
    broker = TansuBroker(log_path=tmp_path / "kafka.log").start()
    try:
        async with start_stack(pg_server, broker.bootstrap, tmp_path, env=ENV) as run:
            conn = await asyncpg.connect(run.dsns["beneficiary-svc"])
            try:
                await seed_district(conn, D, PEOPLE, seed=9, topic=run.topic(BENEFICIARY_EVENTS))
            finally:
                await conn.close()
            yield run, broker
    finally:
        broker.stop()


def client(stack: Stack, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.urls[name], headers=stack.token(D), timeout=120)


async def get_json(stack: Stack, name: str, path: str, **params: Any) -> Any:
    async with client(stack, name) as http:
        answer = await http.get(path, params=params)
        answer.raise_for_status()
        return answer.json()


async def post_json(stack: Stack, name: str, path: str, body: Any = None, **kw: Any) -> Any:
    async with client(stack, name) as http:
        answer = await http.post(path, json=body, **kw)
        assert answer.status_code < 500, answer.text
        return answer


@pytest.mark.parametrize("seed", SEEDS)
async def test_the_month_survives_kills_restarts_and_a_frozen_broker(
    world: tuple[Stack, TansuBroker], seed: int
) -> None:
    stack, broker = world
    driver = Driver(seed, stack, broker)
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().replace(day=1)
    period = f"{today:%Y-%m}"
    post_office = PostOffice(
        stack.bootstrap,
        Behaviour(results_delay=0.5, pay_share=0.8),
        outbound=stack.topic(POSTOFFICE_OUTBOUND),
        inbound=stack.topic(POSTOFFICE_INBOUND),
        group=f"chaos-po-{seed}",
    )
    async with running(post_office):
        await driver.step("read models fill", lambda: until("read models", lambda: _learned(stack)))

        async def upload() -> str:
            template = await get_json_bytes(
                stack, f"/v1/templates/arrears?district={D}&commune=00001"
            )
            book = openpyxl.load_workbook(io.BytesIO(template))
            sheet = book["DuLieu"]
            for row in (2, 3, 4):
                sheet.cell(row, 6).value = 700_000
                sheet.cell(row, 7).value = f"{today:%m/%Y}"
            out = io.BytesIO()
            book.save(out)
            answer = await post_json(
                stack,
                "import-svc",
                "/v1/imports",
                None,
                data={"kind": "arrears", "district": D},
                files=[("files", ("x.xlsx", out.getvalue(), "application/octet-stream"))],
            )
            assert answer.status_code == 202, answer.text
            return str(answer.json()["batches"][0]["id"])

        batch = await driver.step("upload", upload)
        await driver.step(
            "validated", lambda: until("validated", lambda: _batch(stack, batch, "awaiting_review"))
        )
        await driver.step(
            "confirm", lambda: post_json(stack, "import-svc", f"/v1/imports/{batch}/confirm", {})
        )
        await driver.step(
            "applied", lambda: until("applied", lambda: _batch(stack, batch, "applied"))
        )
        await driver.step(
            "arrears reach payment-svc", lambda: until("arrears", lambda: _arrears(stack, 3))
        )
        await post_json(stack, "payment-svc", f"/v1/districts/{D}/periods", {"month": period})
        made = (
            await driver.step(
                "generate",
                lambda: post_json(
                    stack, "payment-svc", f"/v1/districts/{D}/periods/{period}/lists", {}
                ),
            )
        ).json()
        await driver.step(
            "submit", lambda: post_json(stack, "payment-svc", f"/v1/lists/{made['id']}/submit")
        )
        settlement = await driver.step(
            "settlement received",
            lambda: until("settlement received", lambda: _settlement(stack, made["id"])),
        )
        await driver.step(
            "close",
            lambda: post_json(stack, "settlement-svc", f"/v1/settlements/{settlement}/close", {}),
        )
        await driver.step(
            "settled", lambda: until("settled", lambda: _list_status(stack, made["id"], "settled"))
        )

    # the invariants
    await until("every outbox drained", lambda: all_drained(stack), timeout=120)
    view = await get_json(stack, "payment-svc", f"/v1/lists/{made['id']}")
    d1 = (
        await get_json(stack, "payment-svc", f"/v1/districts/{D}/periods/{period}/reports/dvct01")
    )["total"]
    d2 = await get_json(stack, "payment-svc", f"/v1/districts/{D}/periods/{period}/reports/dvct02")
    register = await asyncpg.connect(stack.dsns["beneficiary-svc"])
    payments = await asyncpg.connect(stack.dsns["payment-svc"])
    settlements = await asyncpg.connect(stack.dsns["settlement-svc"])
    try:
        owed = await register_owes(register, D, today)
        assert view["total"] == sum(owed.values()), "\n".join(driver.actions)
        assert view["lines"] == len(owed)
        assert (
            await register.fetchval(
                "SELECT count(*) FROM beneficiary WHERE arrears_amount = 700000"
            )
            == 3
        )
        assert (
            await register.fetchval(
                "SELECT count(*) FROM beneficiary_history WHERE action = 'import_arrears'"
            )
            == 3
        ), "applied twice?"
        assert (
            await payments.fetchval(
                """SELECT count(*) FROM (SELECT beneficiary_id FROM payment_line WHERE list_id = $1
               GROUP BY 1 HAVING count(*) > 1) twice""",
                UUID(made["id"]),
            )
            == 0
        )
        report = await settlements.fetchval(
            "SELECT report FROM settlement WHERE list_id = $1", UUID(made["id"])
        )
        assert f'"paid_amount": {d1["paid"]}' in report
        assert d1["to_pay"] == d1["paid"] + d1["recovered"] + d2["total"]
        assert (
            await settlements.fetchval(
                "SELECT count(*) FROM package WHERE list_id = $1 AND state = 'acknowledged'",
                UUID(made["id"]),
            )
            == 1
        )
        for name in SERVICES:
            conn = await asyncpg.connect(stack.dsns[name])
            try:
                assert await conn.fetchval("SELECT count(*) FROM dead_letter") == 0, name
            finally:
                await conn.close()
        paid_in_sim = [
            p for p in post_office.holding() if p.manifest and str(p.manifest.list_id) == made["id"]
        ]
        assert len(paid_in_sim) == 1, "the post office holds the list exactly once"
    finally:
        await register.close()
        await payments.close()
        await settlements.close()
    print("\n".join(driver.actions))


async def get_json_bytes(stack: Stack, path: str) -> bytes:
    async with client(stack, "import-svc") as http:
        answer = await http.get(path)
        answer.raise_for_status()
        return answer.content


async def _learned(stack: Stack) -> bool:
    for name, table in (("import-svc", "identity"), ("payment-svc", "recipient")):
        conn = await asyncpg.connect(stack.dsns[name])
        try:
            if await conn.fetchval(f"SELECT count(*) FROM {table}") != PEOPLE:
                return False
        finally:
            await conn.close()
    return True


async def _batch(stack: Stack, batch: str, status: str) -> bool:
    return bool((await get_json(stack, "import-svc", f"/v1/imports/{batch}"))["status"] == status)


async def _arrears(stack: Stack, n: int) -> bool:
    conn = await asyncpg.connect(stack.dsns["payment-svc"])
    try:
        return bool(
            await conn.fetchval("SELECT count(*) FROM recipient WHERE arrears_amount > 0") == n
        )
    finally:
        await conn.close()


async def _settlement(stack: Stack, list_id: str) -> str | None:
    conn = await asyncpg.connect(stack.dsns["settlement-svc"])
    try:
        found = await conn.fetchval(
            "SELECT id FROM settlement WHERE list_id = $1 AND state = 'received'", UUID(list_id)
        )
        return str(found) if found else None
    finally:
        await conn.close()


async def _list_status(stack: Stack, list_id: str, status: str) -> bool:
    return bool((await get_json(stack, "payment-svc", f"/v1/lists/{list_id}"))["status"] == status)
