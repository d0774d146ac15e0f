"""A consumer group's session timeout: Kafka's 10 s unless ``KAFKA_SESSION_TIMEOUT_MS`` says
otherwise (the tests' stacks: 4 s), the heartbeat a third of it, nothing under a second."""

import pytest
from btxh_common.inbox import group_timing


def test_the_default_is_kafkas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_SESSION_TIMEOUT_MS", raising=False)
    assert group_timing() == (10_000, 3_333)


def test_a_shorter_session_has_a_heartbeat_a_third_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SESSION_TIMEOUT_MS", "4000")
    assert group_timing() == (4_000, 1_333)


def test_under_a_second_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SESSION_TIMEOUT_MS", "500")
    with pytest.raises(ValueError, match="at least 1000"):
        group_timing()
