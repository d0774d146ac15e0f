"""Kafka topic names: one per publishing service, plus the two post-office topics."""

from typing import Final

IMPORT_EVENTS: Final = "btxh.import-svc.events"
BENEFICIARY_EVENTS: Final = "btxh.beneficiary-svc.events"
PAYMENT_EVENTS: Final = "btxh.payment-svc.events"
SETTLEMENT_EVENTS: Final = "btxh.settlement-svc.events"
POSTOFFICE_OUTBOUND: Final = "postoffice.outbound"
POSTOFFICE_INBOUND: Final = "postoffice.inbound"

SERVICE_TOPIC: Final = {
    "import-svc": IMPORT_EVENTS,
    "beneficiary-svc": BENEFICIARY_EVENTS,
    "payment-svc": PAYMENT_EVENTS,
    "settlement-svc": SETTLEMENT_EVENTS,
}

ALL_TOPICS: Final = (
    IMPORT_EVENTS,
    BENEFICIARY_EVENTS,
    PAYMENT_EVENTS,
    SETTLEMENT_EVENTS,
    POSTOFFICE_OUTBOUND,
    POSTOFFICE_INBOUND,
)
