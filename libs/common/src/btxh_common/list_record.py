"""payment-svc's own record of a list it generated (on its events topic): what it rebuilds
the list from after its database is restored from a backup. Nobody else needs it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
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


# The longest text a chunk of lines may hold (a chunk event is refused at the outbox far below
# it: ``outbox.MAX_EVENT_BYTES``).
MAX_LINES_TEXT = 3 * 1024 * 1024
MAX_LINES_ROWS = 100_000  # lines in a chunk


class PaymentListRecorded(EventPayload):
    """payment-svc's own record of a list it generated, lines included (in chunk events before
    this head): nobody else needs it; after its database is restored from a backup,
    payment-svc rebuilds from it the lists it made since.

    Version 2 (``columns`` set): the lines are in ``PaymentListRecorded.lines`` events, as
    PostgreSQL's COPY text of those columns; the manifest's ``sha256`` is over the chunks'
    texts in order, its total the sum of ``total``. Version 1 (``columns`` empty, still read):
    the lines are ``PaymentLineRecord`` rows in ``PaymentListRecorded.chunk`` events, the
    checksum over their canonical JSON."""

    event_type = "PaymentListRecorded"
    schema_version = 2
    list_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    kind: ListKind
    version: int = Field(ge=1)
    level: Amount
    created_by: Officer
    register_position: int | None = Field(default=None, ge=0)
    manifest: Manifest
    columns: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=40)


class PaymentListRecordedChunk(EventPayload):
    """Version 1's lines (still read, no longer written)."""

    event_type = "PaymentListRecorded.chunk"
    chunk: TransferChunk


class PaymentListRecordedLines(EventPayload):
    """Version 2's lines: ``row_count`` lines of the list as PostgreSQL's COPY text (one line a
    row, fields by tabs, in the head's ``columns``), chunk ``seq`` of the record ``list_id``."""

    event_type = "PaymentListRecorded.lines"
    list_id: UUID
    seq: int = Field(ge=0)
    row_count: int = Field(ge=0, le=MAX_LINES_ROWS)
    text: str = Field(max_length=MAX_LINES_TEXT)
