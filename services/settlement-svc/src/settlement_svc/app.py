"""Wiring of settlement-svc: settings, routes, subscriptions, timers; nothing more."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from btxh_common.logs import get_logger
from btxh_common.service import ServiceSpec, ServiceState, create_app

from settlement_svc import api, events
from settlement_svc.adapters import gauges
from settlement_svc.config import Settings
from settlement_svc.handlers import authenticity, packages, settlements

log = get_logger(__name__)

settings = Settings()
policy = settings.resend_policy()


async def keep_time(state: ServiceState) -> None:
    """Resend what the post office has not answered; raise overdue settlements."""
    while True:
        try:
            await packages.resend_due(state.db(), policy)
            await settlements.scan_overdue(state.db())
            await authenticity.refresh(state.db())
        except Exception as exc:  # database outage or a bug: log, wait, go on
            log.exception("settlement.timer_error", error=repr(exc))
        await asyncio.sleep(settings.scan_seconds)


spec = ServiceSpec(
    name="settlement-svc",
    migrations=Path(__file__).parent / "migrations",
    routers=[api.router],
    subscriptions=partial(events.subscriptions, policy=policy, keyring=settings.keyring()),
    extra_tasks=[lambda state: asyncio.create_task(keep_time(state), name="settlement-timer")],
    gauges=[gauges.refresh],
)
app = create_app(spec, settings)
