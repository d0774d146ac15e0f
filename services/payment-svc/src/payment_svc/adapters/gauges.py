"""payment-svc's alert gauges (deploy/k8s/monitoring), read from its database."""

from __future__ import annotations

import asyncpg
from prometheus_client import Gauge

UNRECORDED = Gauge("btxh_lists_unrecorded", "Lists generated whose record is not yet published")
OLDEST = Gauge(
    "btxh_lists_unrecorded_oldest_seconds",
    "Age of the oldest list whose record is not yet published (0 when none; alert when high)",
)


async def refresh(conn: asyncpg.Connection) -> None:
    """Set the gauges from the current state (``ServiceSpec.gauges``)."""
    count, oldest = await conn.fetchrow(
        """SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
           FROM payment_list WHERE NOT recorded"""
    )
    UNRECORDED.set(count)
    OLDEST.set(float(oldest))
