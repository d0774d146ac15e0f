"""Applying confirmed imports (seed QLĐT §10A–C): all valid rows of a batch in one transaction.

Rows arrive as a chunked transfer (``ImportConfirmed`` + ``ImportConfirmed.chunk``). When the
transfer is whole and verified, every row is re-checked against the register as it is now (the
ID may have changed since validation), the rest are applied set-based (``adapters.imports``),
history and ``BeneficiaryChanged`` events are written, and one ``ImportApplied`` says which rows
were applied and which were rejected and why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from btxh_common.chunks import Row
from btxh_common.chunkstore import RejectedTransfer, Transfer
from btxh_common.clock import current_month
from btxh_common.envelope import Envelope, current_trace
from btxh_common.events import ImportApplied, ImportConfirmed, RejectedRow
from btxh_common.inbox import EventContext
from btxh_common.logs import get_logger
from btxh_common.outbox import enqueue
from btxh_common.topics import BENEFICIARY_EVENTS

from beneficiary_svc.adapters import imports, locks, positions
from beneficiary_svc.domain.imports import (
    applied_rows,
    locked_refusal,
    rejected_rows,
    transfer_refusal,
)
from beneficiary_svc.handlers.commands import PRODUCER
from beneficiary_svc.handlers.policy_import import apply_policy_rows

log = get_logger(__name__)

Applied = tuple[list[int], list[RejectedRow]]
Applier = Callable[
    [asyncpg.Connection, ImportConfirmed, EventContext, list[Row]], Awaitable[Applied]
]


async def on_confirmed(conn: asyncpg.Connection, transfer: Transfer[ImportConfirmed]) -> None:
    """Apply a whole, verified batch, or refuse all of it while the register is locked."""
    confirmed, context, rows = transfer.event, transfer.context, transfer.rows
    batch = str(confirmed.batch_id)
    log.info("import.apply_started", batch_id=batch, kind=confirmed.kind, rows=len(rows))
    lock = await locks.active_lock(conn, context.district_code, current_month())
    if lock is not None:
        await _publish_applied(conn, confirmed, context, [], [], locked_refusal(lock["month"]))
        return
    appliers: dict[str, Applier] = {
        "arrears": _apply_staged,
        "info": _apply_staged,
        "policy": apply_policy_rows,
    }
    applied, rejected = await appliers[confirmed.kind](conn, confirmed, context, rows)
    await _publish_applied(conn, confirmed, context, applied, rejected, None)
    log.info("import.applied", batch_id=batch, applied=len(applied), rejected=len(rejected))


async def on_rejected(
    conn: asyncpg.Connection, transfer: RejectedTransfer[ImportConfirmed]
) -> None:
    """A batch whose rows do not match their manifest applies nothing, and says so."""
    refused = transfer_refusal(transfer.error_code)
    await _publish_applied(conn, transfer.event, transfer.context, [], [], refused)


async def _apply_staged(
    conn: asyncpg.Connection, confirmed: ImportConfirmed, context: EventContext, rows: list[Row]
) -> Applied:
    """Arrears and information rows: staged and re-checked, then applied set-based."""
    stage, apply = _SET_BASED[confirmed.kind]
    district, commune = context.district_code, confirmed.commune_code
    rejected = rejected_rows(await stage(conn, district, commune, rows))
    await apply(
        conn,
        district=district,
        officer=confirmed.confirmed_by,
        source=f"import:{confirmed.batch_id}",
        topic=BENEFICIARY_EVENTS,
        producer=PRODUCER,
        trace=current_trace.get(),
    )
    return applied_rows(rows, rejected), rejected


_SET_BASED = {
    "arrears": (imports.stage_arrears, imports.apply_arrears),
    "info": (imports.stage_info, imports.apply_info),
}


async def _publish_applied(
    conn: asyncpg.Connection,
    confirmed: ImportConfirmed,
    context: EventContext,
    applied: list[int],
    rejected: list[RejectedRow],
    refused: RejectedRow | None,
) -> None:
    # A batch that changed the register takes the next number; one that changed nothing
    # (refused, or every row rejected) carries the district's current one (none before any).
    position = await positions.advance(conn, context.district_code, 1 if applied else 0)
    event = ImportApplied(
        batch_id=confirmed.batch_id,
        applied=applied,
        rejected=rejected,
        refused=refused,
        position=position or None,
    )
    await enqueue(
        conn,
        BENEFICIARY_EVENTS,
        Envelope.wrap(
            event,
            producer=PRODUCER,
            district_code=context.district_code,
            correlation_id=str(confirmed.batch_id),
        ),
    )
