"""Every event contract on the bus: the single source of truth for what services say.

Large row sets travel as ``<Name>.chunk`` events (one ``TransferChunk`` each) closed by the
``<Name>`` event that carries the manifest (see ``chunks``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from btxh_common.bounds import (
    MAX_TIMELINE,
    NAME,
    Amount,
    BankAccount,
    Coefficient,
    CommuneCode,
    DistrictCode,
    FieldKey,
    Note,
    Officer,
    OptionalCode,
    Source,
    Total,
)
from btxh_common.bounds import MONTH_PATTERN as MONTH_PATTERN
from btxh_common.bounds import ListKind as ListKind
from btxh_common.bounds import Month as Month
from btxh_common.chunks import Manifest, TransferChunk
from btxh_common.envelope import EventPayload
from btxh_common.list_record import (
    PaymentListRecorded,
    PaymentListRecordedChunk,
    PaymentListRecordedLines,
)

ImportKind = Literal["arrears", "info", "policy"]


PolicyStatus = Literal["active", "suspended", "under_review", "stopped", "deceased", "removed"]


# The register's causal token: beneficiary-svc numbers its events per district (1, 2, 3 …
# in the order they are published). A reader that has applied the event numbered N has
# applied every earlier one of that district. Optional: events written before it have none.
RegisterPosition = Annotated[
    int | None, Field(ge=1, le=2**62, description="the register's change number in the district")
]


class PolicyPeriod(EventPayload):
    """One stretch of the decisions in force: from ``from_month`` until the next period's."""

    from_month: Month = Field(pattern=MONTH_PATTERN)
    status: PolicyStatus
    category: OptionalCode | None = None
    coefficient: Coefficient | None = None
    children: int | None = Field(
        default=None,
        ge=1,
        le=50,
        description="DON_THAN (single parent): the children it is paid for",
    )


class BeneficiarySnapshot(EventPayload):
    """Everything another service may need to know about a beneficiary, as it is now, and
    (from schema version 2) ``timeline``: the decisions in force month by month, oldest first.
    A version-1 snapshot has no timeline; ``periods`` reads one from its status fields.
    ``children`` (optional, additive: events without it still read) is the number of children
    a single parent (DON_THAN) is paid for; absent means one. Every field is bounded
    (``bounds``): a consumer parks an event that breaks them."""

    id: UUID
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    full_name: str = Field(min_length=1, max_length=NAME)
    birth_date: date | None = None
    gender: Literal["male", "female", "other"] | None = None
    district_code: DistrictCode
    commune_code: CommuneCode
    category: OptionalCode | None = None
    coefficient: Coefficient | None = None
    children: int | None = Field(
        default=None,
        ge=1,
        le=50,
        description="DON_THAN (single parent): the children it is paid for",
    )
    status: PolicyStatus
    allowance_start_month: Month | None = Field(default=None, pattern=MONTH_PATTERN)
    status_effective_month: Month | None = Field(default=None, pattern=MONTH_PATTERN)
    death_date: date | None = None
    funeral_recipient: str | None = Field(default=None, max_length=NAME)
    arrears_amount: Amount = 0
    arrears_period: Month | None = Field(default=None, pattern=MONTH_PATTERN)
    recovery_amount: Amount = 0
    payment_channel: Literal["cash", "bank", "ewallet"] = "cash"
    bank_account: BankAccount | None = None
    version: int = Field(ge=1)
    timeline: list[PolicyPeriod] | None = Field(default=None, max_length=MAX_TIMELINE)

    def periods(self) -> list[PolicyPeriod]:
        """The timeline; for a version-1 snapshot, the one its fields meant then: in force
        from the start month, then the status from its effective month (a death from the
        month after it)."""
        if self.timeline is not None:
            return self.timeline
        if self.allowance_start_month is None:
            return []
        policy = {
            "category": self.category,
            "coefficient": self.coefficient,
            "children": self.children,
        }
        start = PolicyPeriod(from_month=self.allowance_start_month, status="active", **policy)
        since = self.status_effective_month
        if self.status == "deceased" and self.death_date is not None:
            after_death = self.death_date.replace(day=28) + timedelta(days=4)
            since = f"{after_death:%Y-%m}"
        if self.status == "active" or since is None or since <= start.from_month:
            return [start.model_copy(update={"status": self.status})]
        return [start, PolicyPeriod(from_month=since, status=self.status, **policy)]


class BeneficiaryRegistered(EventPayload):
    event_type = "BeneficiaryRegistered"
    schema_version = 2
    beneficiary: BeneficiarySnapshot
    source: Source
    position: RegisterPosition = None


class DistrictMove(EventPayload):
    """A move to another area (*chuyển địa bàn*) the register has put in force: the person
    lives in ``to_commune`` of ``to_district`` from ``effective_month`` on, and in
    ``from_commune`` of ``from_district`` before it. Within a district the two districts are
    the same. A payer pays month M where the person lives in M (payment-svc keeps a month
    with a list already made for it with the district that made it)."""

    move_id: UUID
    from_district: DistrictCode
    from_commune: CommuneCode
    to_district: DistrictCode
    to_commune: CommuneCode
    effective_month: Month = Field(pattern=MONTH_PATTERN)


class BeneficiaryChanged(EventPayload):
    """The record after a change. ``move`` (optional, additive) is set when the change is an
    accepted move to another commune or district; the event then goes out under the
    receiving district (its key and its register position)."""

    event_type = "BeneficiaryChanged"
    schema_version = 2
    beneficiary: BeneficiarySnapshot
    changed: list[FieldKey] = Field(max_length=64)
    source: Source
    position: RegisterPosition = None
    move: DistrictMove | None = None


class RejectedRow(EventPayload):
    row_no: int = Field(ge=0)
    code: OptionalCode
    message_vi: Note


class ImportApplied(EventPayload):
    """Row numbers applied and rows rejected with why; a batch refused as a whole (e.g. the
    register is locked) has ``refused`` set and applies nothing."""

    event_type = "ImportApplied"
    batch_id: UUID
    applied: list[int]
    rejected: list[RejectedRow]
    refused: RejectedRow | None = None
    position: RegisterPosition = None


class ImportValidated(EventPayload):
    event_type = "ImportValidated"
    batch_id: UUID
    kind: ImportKind
    commune_code: CommuneCode | None = None  # None: a file whose rows name no commune
    total: int = Field(ge=0)
    valid: int = Field(ge=0)
    invalid: int = Field(ge=0)
    duplicates: int = Field(ge=0)
    warnings: int = Field(ge=0)


class ImportConfirmed(EventPayload):
    event_type = "ImportConfirmed"
    batch_id: UUID
    kind: ImportKind
    commune_code: CommuneCode
    confirmed_by: Officer
    manifest: Manifest


class ImportConfirmedChunk(EventPayload):
    event_type = "ImportConfirmed.chunk"
    chunk: TransferChunk


class PaymentListGenerated(EventPayload):
    event_type = "PaymentListGenerated"
    list_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    kind: ListKind
    version: int = Field(ge=1)
    line_count: int = Field(ge=0)
    total_amount: Total


class PaymentListSubmitted(EventPayload):
    event_type = "PaymentListSubmitted"
    list_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    kind: ListKind
    version: int = Field(ge=1)
    submitted_by: Officer
    manifest: Manifest


class PaymentListRow(EventPayload):
    """One row of a submitted list's chunks (what the payment unit receives): settlement-svc
    checks every row against it before it keeps the package."""

    line_id: UUID
    amount: Amount
    beneficiary_id: UUID | None = None
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    full_name: str | None = Field(default=None, max_length=NAME)
    commune_code: CommuneCode | None = None
    payment_channel: Literal["cash", "bank", "ewallet"] | None = None
    bank_account: BankAccount | None = None
    allowance: Amount = 0
    arrears: Amount = 0
    carried_over: Amount = 0
    recovery: Amount = 0
    funeral: Amount = 0
    kind: ListKind | None = None


class PaymentListSubmittedChunk(EventPayload):
    event_type = "PaymentListSubmitted.chunk"
    chunk: TransferChunk


class PaymentListDeleted(EventPayload):
    event_type = "PaymentListDeleted"
    list_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    kind: ListKind
    version: int = Field(ge=1)


class LineStatus(EventPayload):
    line_id: UUID
    status: Literal["pending", "paid", "unpaid", "unpaid_stopped", "returned", "recovered"]
    paid_on: date | None = None


class PaymentStatusUpdated(EventPayload):
    event_type = "PaymentStatusUpdated"
    list_id: UUID
    lines: list[LineStatus]
    updated_by: Officer
    reason: Note | None = None


class PaymentPeriodOpened(EventPayload):
    event_type = "PaymentPeriodOpened"
    period: Month = Field(pattern=MONTH_PATTERN)
    level: Amount
    opened_by: Officer


class PaymentPeriodLocked(EventPayload):
    event_type = "PaymentPeriodLocked"
    period: Month = Field(pattern=MONTH_PATTERN)
    locked_by: Officer
    note: Note | None = None


class PaymentPeriodUnlocked(EventPayload):
    event_type = "PaymentPeriodUnlocked"
    period: Month = Field(pattern=MONTH_PATTERN)
    unlocked_by: Officer
    note: Note | None = None


class PaymentListSent(EventPayload):
    event_type = "PaymentListSent"
    package_id: UUID
    list_id: UUID
    version: int = Field(ge=1)
    sent_at: AwareDatetime


class PaymentListAcknowledged(EventPayload):
    event_type = "PaymentListAcknowledged"
    package_id: UUID
    list_id: UUID
    version: int = Field(ge=1)


class PaymentListRejected(EventPayload):
    event_type = "PaymentListRejected"
    package_id: UUID
    list_id: UUID
    version: int = Field(ge=1)
    reason: Note
    recalled: bool = False


class PaymentResultsReceived(EventPayload):
    event_type = "PaymentResultsReceived"
    package_id: UUID
    list_id: UUID
    results: list[LineStatus]


class SettlementReceived(EventPayload):
    event_type = "SettlementReceived"
    settlement_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    paid_count: int = Field(ge=0)
    paid_amount: Total
    unpaid_count: int = Field(ge=0)
    unpaid_amount: Total


class DeadlineExtended(EventPayload):
    event_type = "DeadlineExtended"
    settlement_id: UUID
    days: int = Field(ge=1, le=19)
    new_deadline: date
    decided_by: Officer
    reason: Note


class SettlementClosed(EventPayload):
    event_type = "SettlementClosed"
    settlement_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    list_id: UUID
    closed_by: Officer
    lines: list[LineStatus]


class SettlementOverdue(EventPayload):
    event_type = "SettlementOverdue"
    settlement_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    deadline: date


CONTRACTS: dict[str, type[EventPayload]] = {
    c.event_type: c
    for c in (
        BeneficiaryRegistered,
        BeneficiaryChanged,
        ImportApplied,
        ImportValidated,
        ImportConfirmed,
        ImportConfirmedChunk,
        PaymentListGenerated,
        PaymentListSubmitted,
        PaymentListSubmittedChunk,
        PaymentListRecorded,
        PaymentListRecordedChunk,
        PaymentListRecordedLines,
        PaymentListDeleted,
        PaymentStatusUpdated,
        PaymentPeriodOpened,
        PaymentPeriodLocked,
        PaymentPeriodUnlocked,
        PaymentListSent,
        PaymentListAcknowledged,
        PaymentListRejected,
        PaymentResultsReceived,
        SettlementReceived,
        DeadlineExtended,
        SettlementClosed,
        SettlementOverdue,
    )
}
