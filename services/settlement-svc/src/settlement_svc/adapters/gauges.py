"""settlement-svc's alert gauges (deploy/k8s/monitoring), read from its database."""

from __future__ import annotations

import asyncpg
from prometheus_client import Gauge

IN_ALERT = Gauge(
    "btxh_packages_in_alert",
    "Packages in alert, recall_unanswered or results_overdue: an officer is needed (alert above 0)",
)
OVERDUE = Gauge(
    "btxh_settlements_overdue",
    "Settlements past their deadline (with extensions) and not closed (alert above 0)",
)


async def refresh(conn: asyncpg.Connection) -> None:
    """Set the gauges from the current state (``ServiceSpec.gauges``)."""
    alert, overdue = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM package
                   WHERE state IN ('alert', 'recall_unanswered', 'results_overdue')),
                  (SELECT count(*) FROM settlement
                   WHERE state <> 'closed' AND overdue_since IS NOT NULL)"""
    )
    IN_ALERT.set(alert)
    OVERDUE.set(overdue)
