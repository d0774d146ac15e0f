"""settlement-svc rules: the payment unit's settings per district (seed 002 §B), settlement
deadlines and their extensions (§E)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Day = int | Literal["last"]
MAX_EXTENSION_DAYS = 19  # an extension is 1–19 days; 20 or more, alone or together, is refused


class PaymentUnitSettings(BaseModel):
    """Cut-off days are days 1–28 of the month, or "last" for its last day."""

    model_config = ConfigDict(frozen=True)
    district_code: str = Field(pattern=r"^\d{3}$")
    list_cutoff_day: Day = Field(description="Ngày chốt gửi danh sách chi trả (1–28 hoặc last)")
    settlement_cutoff_day: Day = Field(description="Ngày chốt gửi quyết toán (1–28 hoặc last)")
    months_per_settlement: int = Field(ge=1, le=12, description="Số tháng quyết toán 1 lần")
    integrated: bool = Field(description="Kết nối với đơn vị chi trả (Bưu điện)")


def day_to_db(day: Day) -> int:
    return 0 if day == "last" else day


def day_from_db(value: int) -> Day:
    return "last" if value == 0 else value


def on_day(year: int, month: int, day: Day) -> date:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, last if day == "last" else min(day, last))


def settlement_deadline(period: str, s: PaymentUnitSettings) -> date:
    """The settlement cut-off day of the month after the period's settlement group closes:
    groups of ``months_per_settlement`` months, counted from January."""
    year, month = int(period[:4]), int(period[5:7])
    k = s.months_per_settlement
    group_end = ((month - 1) // k + 1) * k  # 1..12+
    index = year * 12 + group_end  # the month after the group, 0-based months
    return on_day(index // 12, index % 12 + 1, s.settlement_cutoff_day)


def extended(deadline: date, days: list[int]) -> date:
    return deadline + timedelta(days=sum(days))
