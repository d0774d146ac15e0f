"""The whole-topic reader (payment-svc's rebuild after a restore, ``btxh-reconcile``), on the
real broker: every event, each once, in order per partition, from a fresh client every time.

Its client once started at the end now and then: assigning partitions made aiokafka look up
the "latest" position, and an answer arriving after ``seek_to_beginning`` was applied to it.
"""

import asyncio
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from btxh_common.broker import ensure_topics, make_broker
from btxh_common.envelope import Envelope
from btxh_common.testing.fixtures import unique_topic
from btxh_common.topic_read import read_events


def event(n: int, district: str) -> Envelope:
    return Envelope(
        event_type="Counted", schema_version=1, producer="test", district_code=district,
        payload={"n": n},
    )  # fmt: skip


async def test_every_event_each_once_in_order_per_partition_from_a_fresh_client(
    kafka_bootstrap: str,
) -> None:
    topic = unique_topic("read")
    await ensure_topics(kafka_bootstrap, [topic], 3)
    sent = [event(n, district) for n in range(20) for district in ("001", "002", "003")]
    producer = make_broker(kafka_bootstrap, "test")
    await producer.start()
    try:
        for e in sent:
            await producer.publish(e.to_bytes(), topic, key=e.key())
        await producer.publish(b"not an event", topic, key=b"001")
    finally:
        await producer.stop()
    for _ in range(10):  # the start position is looked up again by each new client
        held = await read_events(kafka_bootstrap, topic)
        assert sorted(h.envelope.event_id for h in held) == sorted(e.event_id for e in sent)
        for district in ("001", "002", "003"):
            mine = [h for h in held if h.envelope.district_code == district]
            assert [h.envelope.payload["n"] for h in mine] == list(range(20))
            assert len({h.partition for h in mine}) == 1
            assert [h.offset for h in mine] == sorted(h.offset for h in mine)

    hour = timedelta(hours=1)
    assert await read_events(kafka_bootstrap, topic, since=datetime.now(UTC) + hour) == []
    earlier = await read_events(kafka_bootstrap, topic, since=datetime.now(UTC) - hour)
    assert len(earlier) == len(sent)
    assert await read_events(kafka_bootstrap, unique_topic("absent")) == []


async def test_the_whole_last_batch_is_read_from_the_start_and_from_a_time(
    kafka_bootstrap: str,
) -> None:
    """Events sent in batches (as the outbox relay sends them): the embedded broker gives as
    a partition's end the offset after the first record of its last batch; what follows in
    that batch is read too, from the start and from a moment inside the batch's span."""
    topic = unique_topic("batch")
    await ensure_topics(kafka_bootstrap, [topic], 1)
    first = [event(n, "001") for n in range(3)]
    last = [event(n, "001") for n in range(3, 9)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=50)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send(topic, e.to_bytes()) for e in first])
        await asyncio.sleep(1.2)
        between = datetime.now(UTC)
        await asyncio.sleep(0.2)
        await asyncio.gather(*[await producer.send(topic, e.to_bytes()) for e in last])
    finally:
        await producer.stop()
    held = await read_events(kafka_bootstrap, topic)
    assert [h.envelope.payload["n"] for h in held] == list(range(9))
    since = await read_events(kafka_bootstrap, topic, since=between)
    assert [h.envelope.payload["n"] for h in since] == list(range(3, 9))
