"""Wiring of payment-svc: settings, routers, subscriptions; nothing more."""

import asyncio
from pathlib import Path

from btxh_common.service import ServiceSpec, create_app
from btxh_common.settings import ServiceSettings

from payment_svc.adapters import gauges
from payment_svc.api import routers
from payment_svc.events import subscriptions
from payment_svc.handlers.rebuild import rebuild
from payment_svc.handlers.record import record_later


class Settings(ServiceSettings):
    service_name: str = "payment-svc"
    http_port: int = 8003
    database_url: str = "postgresql://postgres@127.0.0.1:5432/btxh_payment"


settings = Settings()
spec = ServiceSpec(
    name="payment-svc",
    migrations=Path(__file__).parent / "migrations",
    routers=routers,
    subscriptions=subscriptions,
    on_start=rebuild,
    extra_tasks=[lambda state: asyncio.create_task(record_later(state), name="list-recorder")],
    gauges=[gauges.refresh],
)
app = create_app(spec, settings)
