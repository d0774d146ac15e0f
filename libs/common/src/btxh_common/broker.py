"""The FastStream Kafka broker factory and topic creation, in one place."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from btxh_common.logs import get_logger

log = get_logger(__name__)


def make_broker(bootstrap: str, client_id: str) -> KafkaBroker:
    # The embedded broker rejects idempotent producers; the design does not need them.
    return KafkaBroker(
        bootstrap,
        client_id=client_id,
        enable_idempotence=False,
        acks="all",
        logger=None,
    )


async def ensure_topics(bootstrap: str, topics: Iterable[str], partitions: int) -> None:
    """Create missing topics with ``partitions`` partitions; existing ones are left alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if wanted:
            response = await admin.create_topics(wanted)
            for name, code, message in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"cannot create topic {name}: {code} {message}")
            log.info("kafka.topics_created", topics=[t.name for t in wanted])
    finally:
        await admin.close()
