"""A service whose database position is older than what the topic still holds refuses to
start, naming the partition (issue 21). The embedded broker cannot delete records, so the
topic's first offset is given here; the integration side is ``test_offsets.py``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from btxh_common import offsets, service
from btxh_common.broker import NO_AUTH
from btxh_common.offsets import Position, PositionTooOld, too_old
from btxh_common.service import ServiceState
from btxh_common.settings import ServiceSettings

TOPIC = "btxh.beneficiary-svc.events"


def test_a_position_is_stale_only_when_its_next_offset_is_gone() -> None:
    kept = Position("payment-svc", TOPIC, 0, 41)  # next to read: 42
    assert too_old([kept], {(TOPIC, 0): 42}) == []
    assert too_old([kept], {(TOPIC, 0): 0}) == []
    [stale] = too_old([kept], {(TOPIC, 0): 43})
    assert str(stale) == (
        f"payment-svc read {TOPIC}[0] up to offset 41, but the topic now starts at offset 43: "
        "offsets 42..42 are gone (retention)"
    )


class Pool:
    """Stands for the database: ``consumer_offset`` as a restore older than retention left it."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    async def fetch(self, _sql: str, consumer: str | None) -> list[dict[str, Any]]:
        return [r for r in self.rows if consumer in (None, r["consumer"])]


def test_the_service_refuses_to_start_with_the_partition_and_offsets_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"consumer": "payment-svc", "topic": TOPIC, "kafka_partition": 0, "kafka_offset": 10},
        {"consumer": "payment-svc", "topic": TOPIC, "kafka_partition": 1, "kafka_offset": 99},
    ]

    async def earliest(_bootstrap: str, partitions: Any, _auth: Any) -> dict[Any, int]:
        assert sorted(set(partitions)) == [(TOPIC, 0), (TOPIC, 1)]
        return {(TOPIC, 0): 500, (TOPIC, 1): 100}

    monkeypatch.setattr(offsets, "earliest_offsets", earliest)
    state = ServiceState(ServiceSettings(service_name="payment-svc"), pool=Pool(rows))  # type: ignore[arg-type]

    async def start() -> None:
        deadline = asyncio.get_running_loop().time() + 5
        await service._positions(state, deadline, NO_AUTH)

    with pytest.raises(PositionTooOld) as refused:
        asyncio.run(start())
    assert [s.position.partition for s in refused.value.stale] == [0]
    said = capsys.readouterr().err
    assert said.startswith("payment-svc refuses to start: the database is older than")
    assert f"payment-svc read {TOPIC}[0] up to offset 10" in said
    assert "starts at offset 500: offsets 11..499 are gone" in said
