"""A real outbox relay in its own process, slowed per batch so a test can kill it mid-way."""

import asyncio
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from btxh_common.logs import configure_logging
from btxh_common.outbox import OutboxRelay


class SlowRelay(OutboxRelay):
    def __init__(self, *args: object, delay: float, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.delay = delay

    async def _send_batch(
        self, producer: AIOKafkaProducer, rows: Sequence[asyncpg.Record]
    ) -> Coroutine[Any, Any, dict[int, Exception]]:
        await asyncio.sleep(self.delay)
        return await super()._send_batch(producer, rows)


if __name__ == "__main__":
    configure_logging("slow-relay", "WARNING")
    dsn, bootstrap, batch, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    asyncio.run(SlowRelay(dsn, bootstrap, batch_size=batch, poll_seconds=0.2, delay=delay).run())
