"""What beneficiary-svc listens to: confirmed imports from import-svc."""

from __future__ import annotations

from btxh_common.chunkstore import chunked_handlers
from btxh_common.events import ImportConfirmed, ImportConfirmedChunk
from btxh_common.inbox import subscribe
from btxh_common.service import ServiceState
from btxh_common.topics import IMPORT_EVENTS
from faststream.kafka import KafkaBroker

from beneficiary_svc.handlers import imports


def subscriptions(broker: KafkaBroker, state: ServiceState) -> None:
    subscribe(
        broker,
        state.db(),
        topics=[IMPORT_EVENTS],
        consumer="beneficiary-svc",
        session_timeout_ms=state.settings.kafka_session_timeout_ms,
        handlers=chunked_handlers(
            ImportConfirmed, ImportConfirmedChunk, imports.on_confirmed, imports.on_rejected
        ),
    )
