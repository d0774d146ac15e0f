"""The contract with the payment unit (the post office), seed 002 §C–F.

Both directions travel in the same envelope as our own events (``btxh_common.envelope``),
key = district code, on two topics: ``postoffice.outbound`` (us → post office) and
``postoffice.inbound`` (post office → us). settlement-svc speaks it; ``btxh_tools.
postoffice_sim`` plays the other side; ``services/settlement-svc/asyncapi.yaml`` publishes it.

A package is a payment list version: its lines travel as ``PackageChunk`` messages (≤ 1,000
lines each), closed by ``PackageManifest`` (count, total, SHA-256 over the canonical lines,
as ``btxh_common.chunks``). The post office answers with ``PackageAccepted`` carrying its
own count, total and checksum, or ``PackageRejected``. Sending again is safe: the post
office keeps one package per ``package_id`` + ``version``. A recall is answered with
``PackageRejected`` (``recalled``), or refused with ``RecallRejected`` once people are paid.

Every message from the post office is signed (``Signed.signature``, ``btxh_common.po_sign``):
one unsigned, signed with a key we do not trust, or whose signature does not match is
quarantined by settlement-svc, never applied.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from btxh_common.bounds import MAX_TOTAL, REASON
from btxh_common.chunks import Manifest, TransferChunk
from btxh_common.envelope import EventPayload
from btxh_common.events import MONTH_PATTERN, Month
from btxh_common.po_sign import Signature

ResultStatus = Literal["paid", "unpaid", "returned"]


class PackageChunk(EventPayload):
    """Lines of a package (the chunk's rows follow the PaymentListSubmitted row contract)."""

    event_type: ClassVar[str] = "PackageChunk"
    package_id: UUID
    version: int = Field(ge=1)
    chunk: TransferChunk


class PackageManifest(EventPayload):
    """Closes a package: the post office checks it holds every chunk and the checksum."""

    event_type: ClassVar[str] = "PackageManifest"
    package_id: UUID
    version: int = Field(ge=1)
    list_id: UUID
    period: Month = Field(pattern=MONTH_PATTERN)
    kind: Literal["monthly", "funeral"]
    manifest: Manifest


class RecallRequest(EventPayload):
    """Asks the post office to give a package back (a changed list will replace it)."""

    event_type: ClassVar[str] = "RecallRequest"
    package_id: UUID
    version: int = Field(ge=1)
    reason: str = Field(max_length=REASON)


class Signed(EventPayload):
    """A message from the post office: signed by it (``btxh_common.po_sign``)."""

    signature: Signature | None = Field(
        default=None,
        description=(
            "Ed25519 signature of the post office over the canonical bytes: UTF-8 JSON, keys "
            "sorted, no whitespace, of {district_code, event_id, event_type} of the envelope "
            "and payload (every field but signature, null where absent). Missing, from an "
            "unknown key, or not matching: the message is quarantined, never applied."
        ),
    )


class PackageAccepted(Signed):
    """The post office holds the package; its own count, total and checksum, to compare."""

    event_type: ClassVar[str] = "PackageAccepted"
    package_id: UUID
    version: int = Field(ge=1)
    row_count: int = Field(ge=0)
    total_amount: int = Field(ge=0, le=MAX_TOTAL)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class PackageRejected(Signed):
    """The post office does not hold the package (``recalled``: given back on request)."""

    event_type: ClassVar[str] = "PackageRejected"
    package_id: UUID
    version: int = Field(ge=1)
    reason: Literal["invalid", "checksum_mismatch", "recalled", "late", "duplicate", "other"]
    detail: str | None = Field(default=None, max_length=REASON)


class RecallRejected(Signed):
    """The post office keeps a package it was asked to give back: it has paid people in it
    (``already_paid``, with how many), so it cannot be recalled."""

    event_type: ClassVar[str] = "RecallRejected"
    package_id: UUID
    version: int = Field(ge=1)
    reason: Literal["already_paid", "other"]
    paid_count: int = Field(ge=0, le=10**7)  # people of one package: a district has far fewer
    detail: str | None = Field(default=None, max_length=REASON)


class PersonResult(EventPayload):
    """One person's outcome: paid (with the date), not received, or returned."""

    event_type: ClassVar[str] = "PersonResult"
    line_id: UUID
    status: ResultStatus
    paid_on: date | None = None


class PaymentResults(Signed):
    """Per-person results, in parts of ≤ 1,000; parts may come late, twice or out of order."""

    event_type: ClassVar[str] = "PaymentResults"
    package_id: UUID
    version: int = Field(ge=1)
    part: int = Field(ge=0)
    parts: int = Field(ge=1)
    results: list[PersonResult] = Field(max_length=1000)


class SettlementReport(Signed):
    """The post office's settlement of a package: counts and amounts paid and not paid."""

    event_type: ClassVar[str] = "SettlementReport"
    package_id: UUID
    version: int = Field(ge=1)
    period: Month = Field(pattern=MONTH_PATTERN)
    paid_count: int = Field(ge=0)
    paid_amount: int = Field(ge=0, le=MAX_TOTAL)
    unpaid_count: int = Field(ge=0)
    unpaid_amount: int = Field(ge=0, le=MAX_TOTAL)


class ExtensionRequest(Signed):
    """The post office asks for more days to settle (1–19; 20 or more are refused)."""

    event_type: ClassVar[str] = "ExtensionRequest"
    package_id: UUID
    days: int = Field(ge=1, le=60)
    reason: str = Field(max_length=REASON)


OUTBOUND: tuple[type[EventPayload], ...] = (PackageChunk, PackageManifest, RecallRequest)
INBOUND: tuple[type[EventPayload], ...] = (
    PackageAccepted,
    PackageRejected,
    RecallRejected,
    PaymentResults,
    SettlementReport,
    ExtensionRequest,
)
