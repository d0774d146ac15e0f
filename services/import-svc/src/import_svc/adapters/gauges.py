"""import-svc's alert gauges (deploy/k8s/monitoring), read from its database."""

from __future__ import annotations

import asyncpg
from prometheus_client import Gauge

PARSING = Gauge("btxh_import_parsing_batches", "Uploaded files waiting for or in parsing")
OLDEST = Gauge(
    "btxh_import_parsing_oldest_seconds",
    "Age of the oldest upload still in parsing (0 when none; alert when it stays high)",
)


async def refresh(conn: asyncpg.Connection) -> None:
    """Set the gauges from the current state (``ServiceSpec.gauges``)."""
    count, oldest = await conn.fetchrow(
        """SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
           FROM import_batch WHERE status = 'parsing'"""
    )
    PARSING.set(count)
    OLDEST.set(float(oldest))
