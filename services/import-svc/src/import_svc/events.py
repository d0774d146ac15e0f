"""What import-svc listens to: the register's beneficiaries and confirmed imports' outcome."""

from __future__ import annotations

from btxh_common.events import BeneficiaryChanged, BeneficiaryRegistered, ImportApplied
from btxh_common.inbox import subscribe
from btxh_common.service import ServiceState
from btxh_common.topics import BENEFICIARY_EVENTS
from faststream.kafka import KafkaBroker

from import_svc import handlers


def subscriptions(broker: KafkaBroker, state: ServiceState) -> None:
    subscribe(
        broker,
        state.db,
        topics=[BENEFICIARY_EVENTS],
        consumer="import-svc",
        session_timeout_ms=state.settings.kafka_session_timeout_ms,
        handlers={
            BeneficiaryRegistered: handlers.on_beneficiary,
            BeneficiaryChanged: handlers.on_beneficiary,
            ImportApplied: handlers.on_applied,
        },
        delay=state.settings.test_inbox_delay_seconds,
    )
