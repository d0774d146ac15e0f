"""What payment-svc listens to: the register (its read model of recipients) and the payment
unit's answers relayed by settlement-svc (sent, acknowledged, results, settlement closed)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg
from btxh_common.envelope import Envelope
from btxh_common.events import (
    PaymentListAcknowledged,
    PaymentListSent,
    PaymentResultsReceived,
    SettlementClosed,
)
from btxh_common.inbox import subscribe
from btxh_common.service import ServiceState
from btxh_common.topics import BENEFICIARY_EVENTS, SETTLEMENT_EVENTS
from faststream.kafka import KafkaBroker

from payment_svc import lists


def _month(text: str | None) -> date | None:
    return date.fromisoformat(text + "-01") if text else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


async def on_beneficiary(conn: asyncpg.Connection, envelope: Envelope) -> None:
    b = envelope.payload["beneficiary"]
    await conn.execute(
        """INSERT INTO recipient (beneficiary_id, district_code, commune_code, national_id,
               full_name, status, category, coefficient, allowance_start_month,
               status_effective_month, death_date, funeral_recipient, arrears_amount,
               arrears_period, recovery_amount, payment_channel, bank_account, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
           ON CONFLICT (beneficiary_id) DO UPDATE SET
               district_code = excluded.district_code, commune_code = excluded.commune_code,
               national_id = excluded.national_id, full_name = excluded.full_name,
               status = excluded.status, category = excluded.category,
               coefficient = excluded.coefficient,
               allowance_start_month = excluded.allowance_start_month,
               status_effective_month = excluded.status_effective_month,
               death_date = excluded.death_date, funeral_recipient = excluded.funeral_recipient,
               arrears_amount = excluded.arrears_amount, arrears_period = excluded.arrears_period,
               recovery_amount = excluded.recovery_amount,
               payment_channel = excluded.payment_channel, bank_account = excluded.bank_account,
               version = excluded.version
           WHERE recipient.version < excluded.version""",
        UUID(b["id"]),
        b["district_code"],
        b["commune_code"],
        b.get("national_id"),
        b["full_name"],
        b["status"],
        b.get("category"),
        b.get("coefficient"),
        _month(b.get("allowance_start_month")),
        _month(b.get("status_effective_month")),
        _day(b.get("death_date")),
        b.get("funeral_recipient"),
        b.get("arrears_amount") or 0,
        _month(b.get("arrears_period")),
        b.get("recovery_amount") or 0,
        b.get("payment_channel") or "cash",
        b.get("bank_account"),
        b["version"],
    )


async def _list_status(
    conn: asyncpg.Connection, list_id: UUID, status: str, after: tuple[str, ...]
) -> None:
    await conn.execute(
        "UPDATE payment_list SET status = $2 WHERE id = $1 AND status = ANY($3::text[])",
        list_id,
        status,
        list(after),
    )


async def on_sent(conn: asyncpg.Connection, envelope: Envelope) -> None:
    sent = envelope.open(PaymentListSent)
    await _list_status(conn, sent.list_id, "sent", ("submitted",))


async def on_acknowledged(conn: asyncpg.Connection, envelope: Envelope) -> None:
    ack = envelope.open(PaymentListAcknowledged)
    await _list_status(conn, ack.list_id, "acknowledged", ("submitted", "sent"))


async def on_results(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """Per-line results from the post office; a locked period still takes them (the payment
    happened) — the lock stops officers' changes, not the payment unit's facts."""
    results = envelope.open(PaymentResultsReceived)
    await lists.set_statuses(
        conn,
        results.list_id,
        [(r.line_id, r.status, r.paid_on) for r in results.results],
        "post-office",
        "post_office",
        f"package {results.package_id}",
    )
    await _list_status(
        conn, results.list_id, "results_received", ("submitted", "sent", "acknowledged")
    )


async def on_closed(conn: asyncpg.Connection, envelope: Envelope) -> None:
    closed = envelope.open(SettlementClosed)
    await lists.set_statuses(
        conn,
        closed.list_id,
        [(r.line_id, r.status, r.paid_on) for r in closed.lines],
        closed.closed_by,
        "settlement",
        f"settlement {closed.settlement_id}",
    )
    await _list_status(
        conn, closed.list_id, "settled", ("submitted", "sent", "acknowledged", "results_received")
    )


def subscriptions(broker: KafkaBroker, state: ServiceState) -> None:
    subscribe(
        broker,
        state.db,
        topics=[BENEFICIARY_EVENTS, SETTLEMENT_EVENTS],
        consumer="payment-svc",
        handlers={
            "BeneficiaryRegistered": on_beneficiary,
            "BeneficiaryChanged": on_beneficiary,
            "PaymentListSent": on_sent,
            "PaymentListAcknowledged": on_acknowledged,
            "PaymentResultsReceived": on_results,
            "SettlementClosed": on_closed,
        },
    )
