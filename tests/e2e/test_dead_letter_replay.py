"""Issue 21's runbook, "Replaying a dead letter", on the real import-svc: an event its handler
cannot apply (here the database refuses the write, as a bug or a missing migration would) is
parked; ``btxh-dead-letters replay`` before the fix leaves it parked; after the fix it is
applied once, through the service's own inbox and handler, and leaves ``dead_letter``.

The effect is read through the service's API: the district's read position is the one the
event carried (7, chosen here).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import asyncpg
import httpx
import pytest_asyncio
from btxh_common.envelope import Envelope
from btxh_common.events import ImportApplied
from btxh_common.outbox import make_producer
from btxh_common.topics import BENEFICIARY_EVENTS
from btxh_tools.harness import Stack, start_stack
from btxh_tools.polling import until

D = "001"
REFUSE = """
CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
CREATE TRIGGER test_refuse BEFORE INSERT OR UPDATE ON read_position
    FOR EACH ROW EXECUTE FUNCTION test_refuse();
"""


@pytest_asyncio.fixture(scope="module")
async def world(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, ["import-svc"]) as run:
        yield run


def tool(world: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": world.dsns["import-svc"],
        "BTXH_TOPIC_PREFIX": world.topic_prefix,
    }
    command = [sys.executable, "-m", "btxh_tools.dead_letters", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


async def read_position(world: Stack) -> int:
    async with httpx.AsyncClient(base_url=world.urls["import-svc"], headers=world.token(D)) as h:
        answer = await h.get(f"/v1/districts/{D}/read-position")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["position"])


async def test_a_dead_letter_is_replayed_once_its_cause_is_fixed(world: Stack) -> None:
    db = await asyncpg.connect(world.dsns["import-svc"])
    producer = make_producer(world.bootstrap)
    await producer.start()
    try:
        await db.execute(REFUSE)
        event = Envelope.wrap(
            ImportApplied(batch_id=uuid4(), applied=[], rejected=[], position=7),
            producer="beneficiary-svc",
            district_code=D,
        )
        await producer.send_and_wait(
            world.topic(BENEFICIARY_EVENTS), event.to_bytes(), key=event.key()
        )
        row_id = await until(
            "parked",
            lambda: db.fetchval("SELECT id FROM dead_letter WHERE event_id = $1", event.event_id),
            timeout=60,
        )
        listed = await asyncio.to_thread(tool, world, "list", "import-svc")
        assert listed.returncode == 0, listed.stderr
        assert str(event.event_id) in listed.stdout
        assert "refused by the test" in listed.stdout

        before_fix = await asyncio.to_thread(tool, world, "replay", "import-svc", str(row_id))
        assert before_fix.returncode == 1, before_fix.stdout + before_fix.stderr
        assert f"{row_id}: failed again" in before_fix.stdout
        assert await db.fetchval("SELECT count(*) FROM dead_letter") == 1

        await db.execute("DROP TRIGGER test_refuse ON read_position")
        fixed = await asyncio.to_thread(tool, world, "replay", "import-svc", str(row_id))
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert f"{row_id}: applied" in fixed.stdout
        assert await db.fetchval("SELECT count(*) FROM dead_letter") == 0
        assert await read_position(world) == 7
        again = await asyncio.to_thread(tool, world, "replay", "import-svc", str(row_id))
        assert f"{row_id}: no such dead letter" in again.stdout
        inbox = await db.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event.event_id)
        assert inbox == 1
    finally:
        await producer.stop()
        await db.close()
