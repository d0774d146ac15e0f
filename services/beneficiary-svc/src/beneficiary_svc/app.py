"""Wiring of beneficiary-svc: settings, routers, subscriptions; nothing more."""

from pathlib import Path

from btxh_common.service import ServiceSpec, ServiceState, create_app

from beneficiary_svc.adapters.units import ensure_units
from beneficiary_svc.api import routers
from beneficiary_svc.app_settings import Settings
from beneficiary_svc.events import subscriptions


async def load_units(state: ServiceState) -> None:
    async with state.db().acquire() as conn:
        await ensure_units(conn)


settings = Settings()
spec = ServiceSpec(
    name="beneficiary-svc",
    migrations=Path(__file__).parent / "migrations",
    routers=routers,
    subscriptions=subscriptions,
    on_start=load_units,
)
app = create_app(spec, settings)
