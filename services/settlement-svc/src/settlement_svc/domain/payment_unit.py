"""The payment unit's settings per district (seed 002 §B)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Day = int | Literal["last"]


class PaymentUnitSettings(BaseModel):
    """Cut-off days are days 1–28 of the month, or "last" for its last day."""

    model_config = ConfigDict(frozen=True)
    district_code: str = Field(pattern=r"^\d{3}$")
    list_cutoff_day: Day = Field(description="Ngày chốt gửi danh sách chi trả (1–28 hoặc last)")
    settlement_cutoff_day: Day = Field(description="Ngày chốt gửi quyết toán (1–28 hoặc last)")
    months_per_settlement: int = Field(ge=1, le=12, description="Số tháng quyết toán 1 lần")
    integrated: bool = Field(description="Kết nối với đơn vị chi trả (Bưu điện)")


def default_settings(district: str) -> PaymentUnitSettings:
    """What a district that never set its payment unit works with: integrated, monthly
    settlement, cut-offs on the last day of the month."""
    return PaymentUnitSettings(
        district_code=district,
        list_cutoff_day="last",
        settlement_cutoff_day="last",
        months_per_settlement=1,
        integrated=True,
    )


def on_day(year: int, month: int, day: Day) -> date:
    """The given day of a month; a day past the month's end is its last day."""
    last = calendar.monthrange(year, month)[1]
    return date(year, month, last if day == "last" else min(day, last))
