"""settlement-svc rules: the payment unit's settings per district (seed 002 §B)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PaymentUnitSettings(BaseModel):
    """Cut-off days are days of the month; a month shorter than the day uses its last day."""

    model_config = ConfigDict(frozen=True)
    district_code: str = Field(pattern=r"^\d{3}$")
    list_cutoff_day: int = Field(ge=1, le=31, description="Ngày chốt gửi danh sách chi trả")
    settlement_cutoff_day: int = Field(ge=1, le=31, description="Ngày chốt gửi quyết toán")
    months_per_settlement: int = Field(ge=1, le=12, description="Số tháng quyết toán 1 lần")
    integrated: bool = Field(description="Kết nối với đơn vị chi trả (Bưu điện)")
