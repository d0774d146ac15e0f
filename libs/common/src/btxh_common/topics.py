"""Kafka topic names: one per publishing service, plus the two post-office topics.

``BTXH_TOPIC_PREFIX`` (read once, at import) puts every name under a namespace, so that test
stacks sharing one broker never read each other's events; it is empty in every deployment.
"""

import os
from typing import Final

PREFIX: Final = os.environ.get("BTXH_TOPIC_PREFIX", "")

IMPORT_EVENTS: Final = f"{PREFIX}btxh.import-svc.events"
BENEFICIARY_EVENTS: Final = f"{PREFIX}btxh.beneficiary-svc.events"
PAYMENT_EVENTS: Final = f"{PREFIX}btxh.payment-svc.events"
SETTLEMENT_EVENTS: Final = f"{PREFIX}btxh.settlement-svc.events"
POSTOFFICE_OUTBOUND: Final = f"{PREFIX}postoffice.outbound"
POSTOFFICE_INBOUND: Final = f"{PREFIX}postoffice.inbound"

# The post office's consumer group on ``POSTOFFICE_OUTBOUND`` (its KafkaUser may use no other).
POSTOFFICE_GROUP: Final = "postoffice"

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
