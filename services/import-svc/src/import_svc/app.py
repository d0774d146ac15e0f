"""Wiring of import-svc: settings, routers, subscriptions, the parsing worker; nothing more."""

from __future__ import annotations

import asyncio
from pathlib import Path

from btxh_common.service import ServiceSpec, create_app

from import_svc import read_position
from import_svc.adapters import gauges
from import_svc.adapters.spool import Spooler
from import_svc.api import router
from import_svc.events import subscriptions
from import_svc.settings import Settings
from import_svc.upload_limit import UploadLimit
from import_svc.worker import parse_uploads

settings = Settings()
spooler = Spooler(settings.spooling)
spec = ServiceSpec(
    name="import-svc",
    migrations=Path(__file__).parent / "migrations",
    routers=[router, read_position.router],
    subscriptions=subscriptions,
    extra_tasks=[
        lambda state: asyncio.create_task(
            parse_uploads(state, settings, spooler.home), name="parse-uploads"
        )
    ],
    gauges=[gauges.refresh],
)
app = create_app(spec, settings)
app.state.spooler = spooler
app.add_middleware(UploadLimit, most=settings.import_max_upload_bytes)
