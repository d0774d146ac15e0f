"""A consumer group's session timeout: Kafka's 10 s unless ``KAFKA_SESSION_TIMEOUT_MS`` says
otherwise (the tests' stacks: 4 s), nothing under a second; ``subscribe`` gives the group
that timeout and heartbeats at a third of it."""

import pytest
from btxh_common.inbox import subscribe
from btxh_common.settings import ServiceSettings
from faststream.kafka import KafkaBroker
from pydantic import ValidationError


def test_the_default_is_kafkas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_SESSION_TIMEOUT_MS", raising=False)
    assert ServiceSettings().kafka_session_timeout_ms == 10_000


def test_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SESSION_TIMEOUT_MS", "4000")
    assert ServiceSettings().kafka_session_timeout_ms == 4_000


def test_under_a_second_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SESSION_TIMEOUT_MS", "500")
    with pytest.raises(ValidationError, match="kafka_session_timeout_ms"):
        ServiceSettings()


def test_the_group_gets_it_and_heartbeats_a_third_of_it() -> None:
    broker = KafkaBroker("127.0.0.1:1")  # never connected
    subscribe(
        broker, lambda: None, topics=["t"], consumer="c", handlers={}, session_timeout_ms=4_000
    )
    (subscriber,) = broker.subscribers
    options = subscriber._connection_args  # what FastStream hands to aiokafka's consumer
    assert options["session_timeout_ms"] == 4_000
    assert options["heartbeat_interval_ms"] == 1_333
