"""A consumer that applies an event (inbox + effect, committed) and then hangs before its ack,
so a test can kill it in exactly the gap between commit and offset commit."""

import asyncio
import sys

import asyncpg
from btxh_common.db import create_pool
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.inbox import EventContext, apply_once
from btxh_common.logs import configure_logging
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage


class Counted(EventPayload):
    event_type = "Counted"
    n: int


async def record(conn: asyncpg.Connection, _: Counted, context: EventContext) -> None:
    await conn.execute("INSERT INTO applied (event_id) VALUES ($1)", context.event_id)


async def main(dsn: str, bootstrap: str, topic: str, group: str) -> None:
    pool = await create_pool(dsn)
    broker = KafkaBroker(bootstrap, enable_idempotence=False, logger=None)

    @broker.subscriber(
        topic, group_id=group, ack_policy=AckPolicy.MANUAL, auto_offset_reset="earliest"
    )
    async def on_message(msg: KafkaMessage) -> None:
        await apply_once(pool, group, Envelope.from_bytes(msg.body), Counted, record)
        await asyncio.sleep(3600)  # never reaches the ack

    await broker.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    configure_logging("stuck-consumer", "WARNING")
    asyncio.run(main(*sys.argv[1:5]))
