"""The FastStream Kafka broker factory, the bus credentials and topic creation, in one place.

The local stack and the tests speak PLAINTEXT to a broker without authentication. In
``deploy/`` the broker only has a SCRAM-SHA-512 listener over TLS and ACLs per user (one
Strimzi ``KafkaUser`` per service): a service is then given ``KAFKA_SASL_USERNAME``,
``KAFKA_SASL_PASSWORD`` (from the Secret Strimzi creates) and ``KAFKA_SSL_CAFILE`` (the
cluster CA), and every client it opens — consumers, the outbox relay's producer, the admin
client — connects with them (``KafkaAuth``).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context
from faststream.kafka import KafkaBroker
from faststream.kafka.security import parse_security
from faststream.security import SASLScram512

from btxh_common.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class KafkaAuth:
    """SCRAM-SHA-512 credentials, and the CA that signs the broker's TLS certificate; with
    no username the client connects without authentication (the local stack)."""

    username: str | None = None
    password: str | None = None
    cafile: str | None = None

    def __post_init__(self) -> None:
        if self.username and not self.password:
            raise ValueError("KAFKA_SASL_USERNAME is set without KAFKA_SASL_PASSWORD")

    @property
    def enabled(self) -> bool:
        return bool(self.username)

    def _ssl(self) -> ssl.SSLContext | None:
        return create_ssl_context(cafile=self.cafile) if self.cafile else None

    def security(self) -> SASLScram512 | None:
        """What FastStream's ``KafkaBroker(security=…)`` takes."""
        if not self.username:
            return None
        context = self._ssl()
        return SASLScram512(
            self.username, self.password or "", ssl_context=context, use_ssl=context is not None
        )

    def client_kwargs(self) -> dict[str, Any]:
        """What a bare aiokafka client (producer, consumer, admin) takes."""
        return parse_security(self.security())


NO_AUTH = KafkaAuth()


def make_broker(bootstrap: str, client_id: str, auth: KafkaAuth = NO_AUTH) -> KafkaBroker:
    # The embedded broker rejects idempotent producers; the design does not need them.
    return KafkaBroker(
        bootstrap,
        client_id=client_id,
        enable_idempotence=False,
        acks="all",
        logger=None,
        security=auth.security(),
    )


async def ensure_topics(
    bootstrap: str, topics: Iterable[str], partitions: int, auth: KafkaAuth = NO_AUTH
) -> None:
    """Create missing topics with ``partitions`` partitions; existing ones are left alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **auth.client_kwargs())
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
