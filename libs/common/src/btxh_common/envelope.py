"""The event envelope every message on the bus travels in, and its wire form."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
)
from uuid6 import uuid7

from btxh_common import jsonfast


def new_event_id() -> UUID:
    """A time-ordered UUIDv7 as a standard ``uuid.UUID``."""
    return UUID(str(uuid7()))


# The id that follows one piece of work across services (an upload, a list, a settlement):
# set from an HTTP request's ``X-Trace-Id`` or from the event being handled; every event
# wrapped meanwhile carries it on.
current_trace: ContextVar[str | None] = ContextVar("btxh_trace_id", default=None)


def utcnow() -> datetime:
    return datetime.now(UTC)


class EventPayload(BaseModel):
    """Base of every event contract: frozen, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


P = TypeVar("P", bound=EventPayload)


class EnvelopeHead(BaseModel):
    """Everything an envelope says but its payload (the inbox's claim, a handler's context)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=new_event_id)
    event_type: str = Field(min_length=1, max_length=100)
    schema_version: int = Field(ge=1, le=1000)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    producer: str = Field(min_length=1, max_length=64)
    district_code: str = Field(min_length=2, max_length=5, pattern=r"^\d+$")
    correlation_id: str | None = Field(default=None, max_length=128)
    causation_id: UUID | None = None
    trace_id: str | None = Field(default=None, max_length=128)

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


class Envelope(EnvelopeHead):
    """What travels on Kafka. ``district_code`` is the message key; ``payload`` is the last
    field (its bytes are the head's followed by the payload's)."""

    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        producer: str,
        district_code: str,
        correlation_id: str | None = None,
        causation_id: UUID | None = None,
        dumped: dict[str, Any] | None = None,
    ) -> Envelope:
        """``payload`` in an envelope; ``dumped``: its ``model_dump(mode="json")`` when the
        caller has it already."""
        return cls(
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            producer=producer,
            district_code=district_code,
            correlation_id=correlation_id,
            causation_id=causation_id,
            trace_id=current_trace.get(),
            payload=payload.model_dump(mode="json") if dumped is None else dumped,
        )

    def key(self) -> bytes:
        return self.district_code.encode()

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("event_type", self.event_type.encode()),
            ("schema_version", str(self.schema_version).encode()),
            ("event_id", str(self.event_id).encode()),
            ("content-type", b"application/json"),
        ]

    def to_bytes(self) -> bytes:
        """The envelope as JSON (``model_dump_json``'s bytes); a payload of plain JSON values
        (a chunk of rows) is written by orjson, which writes them byte for byte as pydantic
        does, several times faster."""
        payload = jsonfast.exact(self.payload)
        if payload is None:
            return self.model_dump_json().encode()
        head = self.model_dump_json(exclude={"payload"}).encode()
        # payload is the last field; one join copies a large payload once, not three times
        return b"".join((head[:-1], b',"payload":', payload, b"}"))

    @classmethod
    def from_bytes(cls, data: bytes | str) -> Envelope:
        return cls.model_validate_json(data)

    def open(self, contract: type[P]) -> P:
        """The typed payload; raises ``ValueError`` if the type or version does not match."""
        if contract.event_type != self.event_type:
            raise ValueError(f"expected {contract.event_type}, got {self.event_type}")
        if self.schema_version > contract.schema_version:
            raise ValueError(
                f"{self.event_type} v{self.schema_version} is newer than "
                f"the v{contract.schema_version} this service understands"
            )
        return contract.model_validate(self.payload)

    @staticmethod
    def read_as(data: bytes | str, contract: type[P]) -> tuple[EnvelopeHead, P] | None:
        """The envelope's head and its payload as ``contract`` in one pass over the bytes (no
        dict of the payload built and validated a second time), or None when the bytes are
        not such an envelope: ``from_bytes`` and ``open`` then say what is wrong."""
        try:
            typed = _typed(contract).model_validate_json(data)
        except ValidationError:
            return None
        if typed.event_type != contract.event_type:
            return None
        if typed.schema_version > contract.schema_version:
            return None
        payload: P = typed.payload  # type: ignore[attr-defined]
        head = EnvelopeHead.model_construct(
            **{name: getattr(typed, name) for name in EnvelopeHead.model_fields}
        )
        return head, payload


@cache
def _typed(contract: type[EventPayload]) -> type[EnvelopeHead]:
    """An envelope whose payload is ``contract`` (one model per contract)."""
    made: type[EnvelopeHead] = create_model(
        f"{contract.__name__}Envelope", __base__=EnvelopeHead, payload=(contract, ...)
    )
    return made
