"""The JSON of settlement-svc's answers keeps its shape: timestamps as Python writes them
(``+00:00``), days as ``YYYY-MM-DD``, the report as the post office sent it."""

from datetime import UTC, date, datetime
from uuid import uuid4

from settlement_svc.api import PackageView, SettlementView
from settlement_svc.domain.settlements import (
    ExtensionAsked,
    LineTotal,
    Settlement,
    SettlementState,
    SettlementSummary,
)


def test_a_settlement_answers_with_its_effective_deadline_and_lines_by_status() -> None:
    settlement = Settlement(
        id=uuid4(),
        package_id=uuid4(),
        list_id=uuid4(),
        district_code="005",
        period="2026-11",
        deadline=date(2026, 12, 31),
        state=SettlementState.CLOSED,
        overdue_since=None,
        report={"paid_count": 2, "paid_amount": 1_000_000},
        closed_by="officer",
        closed_at=datetime(2027, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
    )
    asked = ExtensionAsked(
        days=25,
        reason="Bưu điện xin thêm",
        asked_at=datetime(2026, 12, 30, 1, 0, tzinfo=UTC),
        answered_by="officer",
        granted_days=19,
        answered_at=datetime(2026, 12, 30, 2, 0, tzinfo=UTC),
    )
    summary = SettlementSummary(
        settlement,
        19,
        {"paid": LineTotal(2, 1_000_000), "unpaid": LineTotal(1, 500_000)},
        (asked,),
    )
    view = SettlementView.of(summary).model_dump(mode="json")
    assert view == {
        "id": str(settlement.id),
        "package_id": str(settlement.package_id),
        "list_id": str(settlement.list_id),
        "district_code": "005",
        "period": "2026-11",
        "deadline": "2026-12-31",
        "state": "closed",
        "overdue_since": None,
        "report": {"paid_count": 2, "paid_amount": 1_000_000},
        "closed_by": "officer",
        "closed_at": "2027-01-02T03:04:05.000678+00:00",
        "effective_deadline": "2027-01-19",
        "extended_days": 19,
        "lines": {
            "paid": {"count": 2, "amount": 1_000_000},
            "unpaid": {"count": 1, "amount": 500_000},
        },
        "extension_requests": [
            {
                "days": 25,
                "reason": "Bưu điện xin thêm",
                "asked_at": "2026-12-30T01:00:00+00:00",
                "answered_by": "officer",
                "granted_days": 19,
                "answered_at": "2026-12-30T02:00:00+00:00",
            }
        ],
    }


def test_a_package_answers_with_its_timestamps_in_utc_as_before() -> None:
    sent = datetime(2026, 11, 20, 1, 2, 3, tzinfo=UTC)
    view = PackageView(
        id=uuid4(),
        version=2,
        list_id=uuid4(),
        period="2026-11",
        kind="monthly",
        line_count=10,
        total_amount=5_000_000,
        state="sent",
        attempts=1,
        last_error=None,
        replaces=None,
        sent_at=sent,
        acknowledged_at=None,
    ).model_dump(mode="json")
    assert (view["state"], view["sent_at"], view["acknowledged_at"]) == (
        "sent",
        "2026-11-20T01:02:03+00:00",
        None,
    )
