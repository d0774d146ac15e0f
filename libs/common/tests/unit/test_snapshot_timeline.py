"""The beneficiary snapshot's timeline (schema version 2), and a version-1 event still read:
its timeline is what its status fields meant to the list before version 2."""

from typing import Any
from uuid import uuid4

import pytest
from btxh_common.envelope import Envelope
from btxh_common.events import BeneficiaryChanged, BeneficiarySnapshot, PolicyPeriod


def version_1(**kw: Any) -> dict[str, Any]:
    """A snapshot as a version-1 producer wrote it: no ``timeline`` key."""
    return {
        "id": str(uuid4()),
        "full_name": "Nguyễn Văn An",
        "district_code": "001",
        "commune_code": "00001",
        "category": "NCT_80",
        "coefficient": 10,
        "status": "active",
        "allowance_start_month": "2024-01",
        "version": 3,
        **kw,
    }


def opened(snapshot: dict[str, Any]) -> BeneficiarySnapshot:
    envelope = Envelope(
        event_type="BeneficiaryChanged",
        schema_version=1,
        producer="beneficiary-svc",
        district_code="001",
        payload={"beneficiary": snapshot, "changed": ["status"], "source": "manual"},
    )
    return envelope.open(BeneficiaryChanged).beneficiary


def periods(snapshot: BeneficiarySnapshot) -> list[tuple[str, str, int | None]]:
    return [(p.from_month, p.status, p.coefficient) for p in snapshot.periods()]


def test_the_snapshot_contract_is_version_2() -> None:
    assert BeneficiaryChanged.schema_version == 2


def test_a_version_1_stop_is_in_force_from_its_month() -> None:
    stopped = opened(version_1(status="stopped", status_effective_month="2024-07"))
    assert periods(stopped) == [("2024-01", "active", 10), ("2024-07", "stopped", 10)]


def test_a_version_1_death_stops_the_allowance_from_the_next_month() -> None:
    dead = opened(version_1(status="deceased", death_date="2024-12-15"))
    assert periods(dead) == [("2024-01", "active", 10), ("2025-01", "deceased", 10)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, [("2024-01", "active", 10)]),
        ({"status": "suspended"}, [("2024-01", "suspended", 10)]),
        ({"status": "stopped", "status_effective_month": "2023-05"}, [("2024-01", "stopped", 10)]),
        ({"allowance_start_month": None}, []),
    ],
)
def test_a_version_1_snapshot_without_a_later_status_month_has_one_period(
    fields: dict[str, Any], expected: list[tuple[str, str, int | None]]
) -> None:
    assert periods(opened(version_1(**fields))) == expected


def test_a_version_2_snapshot_carries_its_timeline_as_decided() -> None:
    timeline = [
        PolicyPeriod(from_month="2024-01", status="active", category="NCT_80", coefficient=10),
        PolicyPeriod(from_month="2026-12", status="active", category="KT_DBN", coefficient=20),
    ]
    snapshot = BeneficiarySnapshot.model_validate(
        {**version_1(category="KT_DBN", coefficient=20), "timeline": timeline}
    )
    assert snapshot.periods() == timeline
