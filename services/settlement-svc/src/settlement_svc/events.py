"""What settlement-svc listens to: lists from payment-svc, answers from the post office."""

from __future__ import annotations

from functools import partial

from btxh_common.chunkstore import chunked_handlers
from btxh_common.events import (
    PaymentListSubmitted,
    PaymentListSubmittedChunk,
    PaymentStatusUpdated,
)
from btxh_common.inbox import Handlers, subscribe
from btxh_common.po_sign import Keyring
from btxh_common.postoffice import (
    ExtensionRequest,
    PackageAccepted,
    PackageRejected,
    PaymentResults,
    RecallRejected,
    SettlementReport,
)
from btxh_common.service import ServiceState
from btxh_common.topics import PAYMENT_EVENTS, POSTOFFICE_INBOUND
from faststream.kafka import KafkaBroker

from settlement_svc.domain.packages import Policy
from settlement_svc.handlers import authenticity, packages, postoffice

POSTOFFICE_CONSUMER = "settlement-svc.postoffice"


def subscriptions(
    broker: KafkaBroker, state: ServiceState, *, policy: Policy, keyring: Keyring
) -> None:
    lists = chunked_handlers(
        PaymentListSubmitted,
        PaymentListSubmittedChunk,
        partial(packages.register, policy=policy),
        packages.transfer_rejected,
    )
    subscribe(
        broker,
        state.db,
        topics=[PAYMENT_EVENTS],
        consumer="settlement-svc",
        session_timeout_ms=state.settings.kafka_session_timeout_ms,
        handlers={**lists, PaymentStatusUpdated: postoffice.on_status_updated},
    )
    inbound: Handlers = {
        PackageAccepted: partial(postoffice.on_accepted, policy=policy),
        PackageRejected: partial(postoffice.on_rejected, policy=policy),
        RecallRejected: partial(postoffice.on_recall_rejected, policy=policy),
        PaymentResults: partial(postoffice.on_results, policy=policy),
        SettlementReport: postoffice.on_settlement_report,
        ExtensionRequest: postoffice.on_extension_request,
    }
    subscribe(  # every post-office message is checked for its signature first
        broker,
        state.db,
        topics=[POSTOFFICE_INBOUND],
        consumer=POSTOFFICE_CONSUMER,
        session_timeout_ms=state.settings.kafka_session_timeout_ms,
        handlers={
            contract: authenticity.verified(handler, keyring, POSTOFFICE_CONSUMER)
            for contract, handler in inbound.items()
        },
    )
