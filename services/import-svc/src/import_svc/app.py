"""Wiring of import-svc: settings, routers, subscriptions, the parsing worker; nothing more."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
from btxh_common.inbox import subscribe
from btxh_common.logs import get_logger
from btxh_common.service import ServiceSpec, ServiceState, create_app
from btxh_common.topics import BENEFICIARY_EVENTS
from faststream.kafka import KafkaBroker

from import_svc import workflow
from import_svc.api import build_router
from import_svc.reading import Limits
from import_svc.settings import Settings

log = get_logger(__name__)


def subscriptions(broker: KafkaBroker, state: ServiceState) -> None:
    subscribe(
        broker,
        state.db,
        topics=[BENEFICIARY_EVENTS],
        consumer="import-svc",
        handlers={
            "BeneficiaryRegistered": workflow.on_beneficiary,
            "BeneficiaryChanged": workflow.on_beneficiary,
            "ImportApplied": workflow.on_applied,
        },
    )


async def parse_uploads(state: ServiceState) -> None:
    """Parse uploads as they come (NOTIFY import_upload), polling as a fallback."""
    limits = Limits(
        max_bytes=settings.import_max_file_bytes,
        max_rows=settings.import_max_rows,
        max_uncompressed=settings.import_max_uncompressed_bytes,
    )
    wake = asyncio.Event()
    listener: asyncpg.Connection | None = None
    while True:
        try:
            if listener is None or listener.is_closed():
                listener = await asyncpg.connect(settings.database_url)
                await listener.add_listener("import_upload", lambda *_: wake.set())
            while await workflow.parse_next(state.db(), limits):
                pass
        except Exception as exc:  # database outage or a bug: log, wait, try again
            log.exception("import.parse_loop_error", error=repr(exc))
            listener = None
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=settings.import_poll_seconds)


settings = Settings()
spec = ServiceSpec(
    name="import-svc",
    migrations=Path(__file__).parent / "migrations",
    routers=[build_router(settings)],
    subscriptions=subscriptions,
    extra_tasks=[lambda state: asyncio.create_task(parse_uploads(state), name="parse-uploads")],
)
app = create_app(spec, settings)
