"""Every event contract on the bus: the single source of truth for what services say.

Large row sets travel as ``<Name>.chunk`` events (one ``TransferChunk`` each) closed by the
``<Name>`` event that carries the manifest (see ``chunks``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from btxh_common.chunks import Manifest, TransferChunk
from btxh_common.envelope import EventPayload

ImportKind = Literal["arrears", "info", "policy"]
ListKind = Literal["monthly", "funeral"]
Month = str  # "YYYY-MM"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


PolicyStatus = Literal["active", "suspended", "under_review", "stopped", "deceased", "removed"]


# The register's causal token: beneficiary-svc numbers its events per district (1, 2, 3 …
# in the order they are published). A reader that has applied the event numbered N has
# applied every earlier one of that district. Optional: events written before it have none.
RegisterPosition = Annotated[
    int | None, Field(ge=1, description="the register's change number in the district")
]


class PolicyPeriod(EventPayload):
    """One stretch of the decisions in force: from ``from_month`` until the next period's."""

    from_month: Month = Field(pattern=MONTH_PATTERN)
    status: PolicyStatus
    category: str | None = None
    coefficient: int | None = Field(default=None, ge=0, description="tenths: 15 = 1.5")


class BeneficiarySnapshot(EventPayload):
    """Everything another service may need to know about a beneficiary, as it is now, and
    (from schema version 2) ``timeline``: the decisions in force month by month, oldest first.
    A version-1 snapshot has no timeline; ``periods`` reads one from its status fields."""

    id: UUID
    national_id: str | None = Field(default=None, pattern=r"^(\d{9}|\d{12})$")
    full_name: str
    birth_date: date | None = None
    gender: Literal["male", "female", "other"] | None = None
    district_code: str
    commune_code: str
    category: str | None = None
    coefficient: int | None = Field(default=None, ge=0, description="tenths: 15 = 1.5")
    status: PolicyStatus
    allowance_start_month: Month | None = Field(default=None, pattern=MONTH_PATTERN)
    status_effective_month: Month | None = Field(default=None, pattern=MONTH_PATTERN)
    death_date: date | None = None
    funeral_recipient: str | None = None
    arrears_amount: int = Field(default=0, ge=0)
    arrears_period: Month | None = Field(default=None, pattern=MONTH_PATTERN)
    recovery_amount: int = Field(default=0, ge=0)
    payment_channel: Literal["cash", "bank", "ewallet"] = "cash"
    bank_account: str | None = None
    version: int = Field(ge=1)
    timeline: list[PolicyPeriod] | None = None

    def periods(self) -> list[PolicyPeriod]:
        """The timeline; for a version-1 snapshot, the one its fields meant then: in force
        from the start month, then the status from its effective month (a death from the
        month after it)."""
        if self.timeline is not None:
            return self.timeline
        if self.allowance_start_month is None:
            return []
        policy = {"category": self.category, "coefficient": self.coefficient}
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
    source: str
    position: RegisterPosition = None


class BeneficiaryChanged(EventPayload):
    event_type = "BeneficiaryChanged"
    schema_version = 2
    beneficiary: BeneficiarySnapshot
    changed: list[str]
    source: str
    position: RegisterPosition = None


class RejectedRow(EventPayload):
    row_no: int
    code: str
    message_vi: str


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
    commune_code: str
    total: int = Field(ge=0)
    valid: int = Field(ge=0)
    invalid: int = Field(ge=0)
    duplicates: int = Field(ge=0)
    warnings: int = Field(ge=0)


class ImportConfirmed(EventPayload):
    event_type = "ImportConfirmed"
    batch_id: UUID
    kind: ImportKind
    commune_code: str
    confirmed_by: str
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
    total_amount: int = Field(ge=0)


class PaymentListSubmitted(EventPayload):
    event_type = "PaymentListSubmitted"
    list_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    kind: ListKind
    version: int = Field(ge=1)
    submitted_by: str
    manifest: Manifest


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
    updated_by: str
    reason: str | None = None


class PaymentPeriodLocked(EventPayload):
    event_type = "PaymentPeriodLocked"
    period: Month = Field(pattern=MONTH_PATTERN)
    locked_by: str
    note: str | None = None


class PaymentPeriodUnlocked(EventPayload):
    event_type = "PaymentPeriodUnlocked"
    period: Month = Field(pattern=MONTH_PATTERN)
    unlocked_by: str
    note: str | None = None


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
    reason: str
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
    paid_amount: int = Field(ge=0)
    unpaid_count: int = Field(ge=0)
    unpaid_amount: int = Field(ge=0)


class DeadlineExtended(EventPayload):
    event_type = "DeadlineExtended"
    settlement_id: UUID
    days: int = Field(ge=1, le=19)
    new_deadline: date
    decided_by: str
    reason: str


class SettlementClosed(EventPayload):
    event_type = "SettlementClosed"
    settlement_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    list_id: UUID
    closed_by: str
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
        PaymentListDeleted,
        PaymentStatusUpdated,
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
