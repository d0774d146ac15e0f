"""What payment-svc listens to: the register's snapshots and the payment unit's answers."""

from __future__ import annotations

from btxh_common.events import (
    BeneficiaryChanged,
    BeneficiaryRegistered,
    ImportApplied,
    PaymentListAcknowledged,
    PaymentListRejected,
    PaymentListSent,
    PaymentResultsReceived,
    SettlementClosed,
)
from btxh_common.inbox import subscribe
from btxh_common.service import ServiceState
from btxh_common.topics import BENEFICIARY_EVENTS, SETTLEMENT_EVENTS
from faststream.kafka import KafkaBroker

from payment_svc.handlers import inbound


def subscriptions(broker: KafkaBroker, state: ServiceState) -> None:
    subscribe(
        broker,
        state.db,
        topics=[BENEFICIARY_EVENTS, SETTLEMENT_EVENTS],
        consumer="payment-svc",
        session_timeout_ms=state.settings.kafka_session_timeout_ms,
        handlers={
            BeneficiaryRegistered: inbound.on_beneficiary,
            BeneficiaryChanged: inbound.on_beneficiary,
            ImportApplied: inbound.on_applied,
            PaymentListSent: inbound.on_sent,
            PaymentListAcknowledged: inbound.on_acknowledged,
            PaymentListRejected: inbound.on_rejected,
            PaymentResultsReceived: inbound.on_results,
            SettlementClosed: inbound.on_closed,
        },
        delay=state.settings.test_inbox_delay_seconds,
    )
