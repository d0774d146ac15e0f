"""Wiring of settlement-svc: settings, routers, subscriptions, the resender and the deadline
scanner; nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from btxh_common.envelope import Envelope
from btxh_common.inbox import Handler, subscribe
from btxh_common.logs import get_logger
from btxh_common.service import ServiceSpec, ServiceState, create_app
from btxh_common.settings import ServiceSettings
from btxh_common.topics import PAYMENT_EVENTS, POSTOFFICE_INBOUND
from faststream.kafka import KafkaBroker
from pydantic import Field

from settlement_svc import handshake
from settlement_svc.api import build_router

log = get_logger(__name__)


class Settings(ServiceSettings):
    service_name: str = "settlement-svc"
    http_port: int = 8004
    database_url: str = "postgresql://postgres@127.0.0.1:5432/btxh_settlement"
    resend_base_seconds: float = Field(default=30.0, gt=0)
    resend_max_seconds: float = Field(default=3600.0, gt=0)
    resend_max_attempts: int = Field(default=8, ge=1)
    scan_seconds: float = Field(default=5.0, gt=0)


settings = Settings()
policy = handshake.Policy(
    base_seconds=settings.resend_base_seconds,
    max_seconds=settings.resend_max_seconds,
    max_attempts=settings.resend_max_attempts,
)


def subscriptions(broker: KafkaBroker, state: ServiceState) -> None:
    def bound(
        handler: Callable[[asyncpg.Connection, Envelope, handshake.Policy], Awaitable[None]],
    ) -> Handler:
        async def run(conn: asyncpg.Connection, envelope: Envelope) -> None:
            await handler(conn, envelope, policy)

        return run

    subscribe(
        broker,
        state.db,
        topics=[PAYMENT_EVENTS],
        consumer="settlement-svc",
        handlers={
            "PaymentListSubmitted": bound(handshake.on_list_submitted),
            "PaymentListSubmitted.chunk": bound(handshake.on_list_chunk),
            "PaymentStatusUpdated": bound(handshake.on_status_updated),
        },
    )
    subscribe(
        broker,
        state.db,
        topics=[POSTOFFICE_INBOUND],
        consumer="settlement-svc.postoffice",
        handlers={
            "PackageAccepted": bound(handshake.on_accepted),
            "PackageRejected": bound(handshake.on_rejected),
            "PaymentResults": bound(handshake.on_results),
            "SettlementReport": bound(handshake.on_settlement_report),
        },
    )


async def keep_time(state: ServiceState) -> None:
    """Resend what the post office has not answered; raise overdue settlements."""
    while True:
        try:
            await handshake.resend_due(state.db(), policy)
            await handshake.scan_overdue(state.db())
        except Exception as exc:  # database outage or a bug: log, wait, go on
            log.exception("settlement.timer_error", error=repr(exc))
        await asyncio.sleep(settings.scan_seconds)


spec = ServiceSpec(
    name="settlement-svc",
    migrations=Path(__file__).parent / "migrations",
    routers=[build_router(settings, policy)],
    subscriptions=subscriptions,
    extra_tasks=[lambda state: asyncio.create_task(keep_time(state), name="settlement-timer")],
)
app = create_app(spec, settings)
