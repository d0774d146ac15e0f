"""The relay producer refuses exactly what the deployed broker would: its ``max_request_size``
is the deployed Kafka's ``message.max.bytes`` (the embedded test broker enforces no size)."""

import re
from pathlib import Path

from btxh_common.outbox import MAX_EVENT_BYTES, MAX_REQUEST_BYTES

DEPLOY = Path(__file__).parents[4] / "deploy" / "k8s"


def deployed_limits() -> set[int]:
    found = set()
    for manifest in DEPLOY.rglob("*.yaml"):
        found |= {int(n) for n in re.findall(r"message\.max\.bytes:\s*(\d+)", manifest.read_text())}
    return found


def test_the_producer_limit_is_the_deployed_brokers_message_max_bytes() -> None:
    assert deployed_limits() == {MAX_REQUEST_BYTES}


def test_an_event_is_refused_at_enqueue_well_below_the_broker_limit() -> None:
    assert MAX_EVENT_BYTES <= MAX_REQUEST_BYTES - 1024 * 1024
