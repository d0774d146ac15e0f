"""What beneficiary-svc listens to: confirmed imports from import-svc."""

from __future__ import annotations

from btxh_common.inbox import subscribe
from btxh_common.service import ServiceState
from btxh_common.topics import IMPORT_EVENTS
from faststream.kafka import KafkaBroker

from beneficiary_svc import imports


def subscriptions(broker: KafkaBroker, state: ServiceState) -> None:
    subscribe(
        broker,
        state.db(),
        topics=[IMPORT_EVENTS],
        consumer="beneficiary-svc",
        handlers={
            "ImportConfirmed": imports.on_confirmed,
            "ImportConfirmed.chunk": imports.on_chunk,
        },
    )
