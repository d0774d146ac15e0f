"""payment-svc's own record of a list it generated (on its events topic): what it rebuilds
the list from after its database is restored from a backup. Nobody else needs it."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from btxh_common.bounds import (
    MONTH_PATTERN,
    NAME,
    Amount,
    BankAccount,
    Coefficient,
    CommuneCode,
    ListKind,
    Month,
    Note,
    Officer,
)
from btxh_common.chunks import Manifest, TransferChunk
from btxh_common.envelope import EventPayload


class Deduction(EventPayload):
    """What a line took towards a recovery (``recovery_deduction``)."""

    recovery_id: UUID
    amount: Amount


class PaymentLineRecord(EventPayload):
    """One line of a generated list as payment-svc keeps it (a row of
    ``PaymentListRecorded.chunk``): ``carried_from`` are the earlier lines whose unpaid money
    this line carries."""

    id: UUID
    beneficiary_id: UUID
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    full_name: str = Field(max_length=NAME)
    commune_code: CommuneCode
    payment_channel: Literal["cash", "bank", "ewallet"]
    bank_account: BankAccount | None = None
    category: str | None = Field(default=None, max_length=40)
    coefficient: Coefficient | None = None
    allowance: Amount = 0
    arrears: Amount = 0
    arrears_period: date | None = None
    carried_over: Amount = 0
    recovery: Amount = 0
    funeral: Amount = 0
    total: Amount
    note: Note | None = None
    carried_from: list[UUID] = Field(default_factory=list, max_length=240)
    deductions: list[Deduction] = Field(default_factory=list, max_length=24)


class PaymentListRecorded(EventPayload):
    """payment-svc's own record of a list it generated, lines included (in
    ``PaymentListRecorded.chunk`` events before this head): nobody else needs it; after its
    database is restored from a backup, payment-svc rebuilds from it the lists it made since."""

    event_type = "PaymentListRecorded"
    list_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    kind: ListKind
    version: int = Field(ge=1)
    level: Amount
    created_by: Officer
    register_position: int | None = Field(default=None, ge=0)
    manifest: Manifest


class PaymentListRecordedChunk(EventPayload):
    event_type = "PaymentListRecorded.chunk"
    chunk: TransferChunk
