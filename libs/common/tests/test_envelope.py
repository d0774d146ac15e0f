from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from btxh_common.chunks import Manifest, split
from btxh_common.envelope import Envelope
from btxh_common.events import CONTRACTS, ImportApplied, ImportConfirmed, RejectedRow
from pydantic import ValidationError


def applied_event() -> ImportApplied:
    return ImportApplied(
        batch_id=uuid4(),
        applied=[1, 2],
        rejected=[RejectedRow(row_no=3, code="national_id_changed", message_vi="CCCD đã đổi")],
    )


def test_envelope_round_trips_through_bytes_with_typed_payload() -> None:
    payload = applied_event()
    env = Envelope.wrap(payload, producer="beneficiary-svc", district_code="001")
    back = Envelope.from_bytes(env.to_bytes())
    assert back == env
    assert back.open(ImportApplied) == payload
    assert back.key() == b"001"
    assert dict(back.headers())["event_type"] == b"ImportApplied"
    assert dict(back.headers())["schema_version"] == b"1"


def test_event_ids_are_time_ordered_uuid7() -> None:
    ids = [
        Envelope.wrap(applied_event(), producer="p", district_code="001").event_id
        for _ in range(50)
    ]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)


def test_occurred_at_is_normalised_to_utc() -> None:
    hanoi = timezone(timedelta(hours=7))
    env = Envelope(
        event_type="X",
        schema_version=1,
        producer="p",
        district_code="001",
        payload={},
        occurred_at=datetime(2026, 11, 24, 7, 0, tzinfo=hanoi),
    )
    assert env.occurred_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert env.occurred_at.utcoffset() == timedelta(0)


def test_opening_a_payload_as_the_wrong_contract_is_refused() -> None:
    env = Envelope.wrap(applied_event(), producer="p", district_code="001")
    with pytest.raises(ValueError, match="expected ImportConfirmed"):
        env.open(ImportConfirmed)


def test_a_newer_schema_version_than_understood_is_refused() -> None:
    env = Envelope.wrap(applied_event(), producer="p", district_code="001")
    newer = env.model_copy(update={"schema_version": 2})
    with pytest.raises(ValueError, match="newer"):
        newer.open(ImportApplied)


def test_district_code_must_be_digits() -> None:
    with pytest.raises(ValidationError, match="district_code"):
        Envelope(event_type="X", schema_version=1, producer="p", district_code="HN", payload={})


def test_money_in_contracts_is_integer_only() -> None:
    _, manifest = split([{"amount": 500_000}], uuid4(), amount_field="amount")
    with pytest.raises(ValidationError, match="total_amount"):
        Manifest.model_validate({**manifest.model_dump(), "total_amount": 1.5})


def test_every_contract_is_registered_by_its_event_type() -> None:
    assert CONTRACTS["ImportConfirmed"] is ImportConfirmed
    assert all(name == c.event_type for name, c in CONTRACTS.items())
    assert len(CONTRACTS) == 25


def test_read_as_gives_the_head_and_the_payload_the_long_way_gives() -> None:
    payload = applied_event()
    env = Envelope.wrap(payload, producer="beneficiary-svc", district_code="001")
    read = Envelope.read_as(env.to_bytes(), ImportApplied)
    assert read is not None
    head, event = read
    assert event == payload
    assert head.model_dump() == env.model_dump(exclude={"payload"})


def test_read_as_declines_what_the_long_way_refuses() -> None:
    env = Envelope.wrap(applied_event(), producer="p", district_code="001")
    assert Envelope.read_as(env.to_bytes(), ImportConfirmed) is None  # another type
    newer = env.model_copy(update={"schema_version": 2})
    assert Envelope.read_as(newer.to_bytes(), ImportApplied) is None  # a newer version
    unknown = env.model_copy(update={"payload": {**env.payload, "extra": 1}})
    assert Envelope.read_as(unknown.to_bytes(), ImportApplied) is None  # an unknown field
    with pytest.raises(ValidationError):
        Envelope.from_bytes(unknown.to_bytes()).open(ImportApplied)
    assert Envelope.read_as(b'{"not": "an envelope"}', ImportApplied) is None
