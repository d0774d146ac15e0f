"""Nothing the post office says is applied before it is believed (DOMAIN "The post office is
a partner, not a trusted insider"; ARCHITECTURE "Trust").

``verified`` stands in front of every handler of ``postoffice.inbound``: a message unsigned,
signed with a key we do not trust (for its district), or whose signature does not match its
canonical bytes (``btxh_common.po_sign``) is quarantined with the reason and never reaches the
lifecycle. Its inbox claim is given back, so a forgery cannot take the event id of the
genuine message that may follow it. A believed message about a package the post office was
never sent or that is no longer live is quarantined the same way (``postoffice._step``).
Each is counted in ``btxh_postoffice_quarantined_total{reason}``, and
``btxh_postoffice_quarantine_recent`` (the last 24 hours, every district) is the gauge an
alert watches.
"""

from __future__ import annotations

import hashlib

import asyncpg
from btxh_common.inbox import EventContext, Handler
from btxh_common.logs import get_logger
from btxh_common.po_sign import Keyring, Verdict
from btxh_common.postoffice import Signed
from prometheus_client import Counter, Gauge

from settlement_svc.adapters import quarantine as db
from settlement_svc.domain.lifecycle import Reason

log = get_logger(__name__)
QUARANTINED = Counter(
    "btxh_postoffice_quarantined_total",
    "Post-office messages quarantined (not believed, or not for a live package), by reason",
    ["reason"],
)
RECENT = Gauge(
    "btxh_postoffice_quarantine_recent",
    "Post-office messages quarantined in the last 24 hours, every district (alert above 0)",
)
RECENT_HOURS = 24
# a believed message about a package the post office does not hold: quarantined, not refused
NOT_LIVE = frozenset({Reason.UNKNOWN_PACKAGE, Reason.NOT_SENT, Reason.ENDED})
_DETAIL = {
    Verdict.UNSIGNED: "no signature",
    Verdict.UNKNOWN_KEY: "signed with a key we do not trust",
    Verdict.KEY_NOT_FOR_DISTRICT: "signed with a key not issued for this district",
    Verdict.BAD_SIGNATURE: "the signature does not match the message",
}


async def keep(
    conn: asyncpg.Connection,
    message: Signed,
    context: EventContext,
    reason: str,
    detail: str | None,
) -> None:
    """Quarantine ``message`` with its reason (once, however often it comes), count it."""
    payload = message.model_dump_json()
    key_id = message.signature.key_id if message.signature else None
    kept = await db.insert(
        conn,
        district=context.district_code,
        event_id=context.event_id,
        message_type=message.event_type,
        package_id=getattr(message, "package_id", None),
        key_id=key_id,
        reason=reason,
        detail=detail,
        payload=payload,
        digest=hashlib.sha256(payload.encode()).hexdigest(),
    )
    if kept:
        QUARANTINED.labels(reason).inc()
        RECENT.inc()
    log.error(
        "postoffice.quarantined",
        message_type=message.event_type,
        package_id=str(getattr(message, "package_id", None)),
        key_id=key_id,
        reason=reason,
        detail=detail,
        again=not kept,
    )


def verified(handler: Handler, keyring: Keyring, consumer: str) -> Handler:
    """``handler`` behind the signature check of ``consumer`` (the inbox's name)."""

    async def handle(conn: asyncpg.Connection, message: Signed, context: EventContext) -> None:
        verdict = keyring.check(
            message,
            event_type=context.event_type,
            district_code=context.district_code,
            event_id=context.event_id,
        )
        if verdict is None:
            await handler(conn, message, context)
            return
        key = f" ({message.signature.key_id})" if message.signature else ""
        await keep(conn, message, context, verdict, _DETAIL[verdict] + key)
        await db.release_claim(conn, consumer, context.event_id)

    return handle


async def refresh(pool: asyncpg.Pool) -> None:
    """Set the alert gauge from the table (every replica sees every district's count)."""
    async with pool.acquire() as conn:
        RECENT.set(await db.recent(conn, RECENT_HOURS))


async def of_district(conn: asyncpg.Connection, district: str) -> list[asyncpg.Record]:
    return await db.of_district(conn, district)
