"""The upload parser: parses uploads as they come (NOTIFY import_upload), polling as a fallback.

Each file is read by a child process (``adapters.child_reader``) within the memory and time
limits of the settings, so a hostile file costs at most that child.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from pathlib import Path

import asyncpg
from btxh_common.logs import get_logger
from btxh_common.service import ServiceState

from import_svc.handlers import parse_next
from import_svc.settings import Settings

log = get_logger(__name__)


async def parse_uploads(state: ServiceState, settings: Settings, spool: Path) -> None:
    """One upload parsed at a time (so one reading child at a time per process), its files
    written for the child to ``spool``, this process's own spool directory."""
    reading = replace(settings.reading, spool=str(spool))
    wake = asyncio.Event()
    listener: asyncpg.Connection | None = None
    while True:
        try:
            if listener is None or listener.is_closed():
                listener = await asyncpg.connect(settings.database_url)
                await listener.add_listener("import_upload", lambda *_: wake.set())
            while await parse_next(state.db(), reading):
                pass
        except Exception as exc:  # database outage or a bug: log, wait, try again
            log.exception("import.parse_loop_error", error=repr(exc))
            listener = None
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=settings.import_poll_seconds)
