"""Read your writes (issue 19): how far a service's read model of the register has come.

beneficiary-svc numbers its events per district (``position`` on BeneficiaryRegistered,
BeneficiaryChanged and ImportApplied; its ``register-position``). A service that keeps a read
model of the register records, per district and in the same transaction as the event, the
highest number it has applied (its ``read-position``): a district's events arrive in order
on one partition, so having applied N means having applied every change up to N.

A caller that has written (and so holds the register's number) passes it as ``as_of``; the
service waits, polling one primary-key row, until its read model has reached it or the wait
(``READ_MODEL_WAIT_SECONDS``, 10 s) is over, then refuses with 409 ``read_model_behind``.
The table (``read_position``) is each service's own migration.

Known limit: the relay re-sends a whole batch after an outage; if a later row of it had been
delivered and an earlier one not, the later one can arrive first and the position runs ahead
of the earlier event until its redelivery (moments later). The position is the highest
applied, not the highest applied without a gap, so that a parked event cannot stall it.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from btxh_common.errors import DomainError

POLL_SECONDS = (0.02, 0.05, 0.1, 0.2)  # quick first looks, then five a second


class ReadModelBehind(DomainError):
    """The read model has not reached the register position the caller wrote (409)."""

    code = "read_model_behind"

    def __init__(self, district: str, as_of: int, position: int) -> None:
        super().__init__(
            f"Dữ liệu đối tượng của huyện {district} ở dịch vụ này mới cập nhật đến thay đổi số "
            f"{position}, chưa đến thay đổi số {as_of} vừa ghi; vui lòng thử lại sau ít phút",
            field="as_of",
            value={"as_of": as_of, "read_position": position},
        )
        self.as_of = as_of
        self.position = position


async def record(conn: asyncpg.Connection, district: str, position: int | None) -> None:
    """The read model has applied the register's change ``position`` (None: an event older
    than the numbering, which moves nothing)."""
    if position is None:
        return
    await conn.execute(
        """INSERT INTO read_position (district_code, position) VALUES ($1, $2)
           ON CONFLICT (district_code) DO UPDATE
           SET position = greatest(read_position.position, EXCLUDED.position),
               updated_at = now()""",
        district,
        position,
    )


async def current(conn: asyncpg.Connection | asyncpg.Pool, district: str) -> int:
    """The highest register position applied for ``district`` (0: none yet)."""
    position = await conn.fetchval(
        "SELECT position FROM read_position WHERE district_code = $1", district
    )
    return int(position or 0)


async def reached(pool: asyncpg.Pool, district: str, as_of: int | None, wait: float) -> int:
    """The read position once it is at least ``as_of`` (at once without ``as_of``); after
    ``wait`` seconds behind it, ``ReadModelBehind``."""
    position = await current(pool, district)
    if as_of is None or position >= as_of:
        return position
    deadline = time.monotonic() + wait
    step = 0
    while position < as_of:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ReadModelBehind(district, as_of, position)
        await asyncio.sleep(min(POLL_SECONDS[min(step, len(POLL_SECONDS) - 1)], left))
        step += 1
        position = await current(pool, district)
    return position
