"""Wiring of settlement-svc: settings, routers, subscriptions; nothing more."""

from pathlib import Path

from btxh_common.service import ServiceSpec, create_app
from btxh_common.settings import ServiceSettings

from settlement_svc.api import build_router


class Settings(ServiceSettings):
    service_name: str = "settlement-svc"
    http_port: int = 8004
    database_url: str = "postgresql://postgres@127.0.0.1:5432/btxh_settlement"


settings = Settings()
spec = ServiceSpec(
    name="settlement-svc",
    migrations=Path(__file__).parent / "migrations",
    routers=[build_router(settings)],
)
app = create_app(spec, settings)
