"""The post-office contract as an AsyncAPI document, generated from the code (FastStream).

``python -m settlement_svc.contract`` prints it; ``services/settlement-svc/asyncapi.yaml`` is
the committed copy, and a test fails when the two differ (regenerate with
``make asyncapi``). Each message is our envelope with its typed payload.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.postoffice import INBOUND, OUTBOUND
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pydantic import create_model

OUTBOUND_TOPIC = "postoffice.outbound"
INBOUND_TOPIC = "postoffice.inbound"
VERSION = "1.0.0"


def _message(model: type[EventPayload]) -> type[Envelope]:
    return create_model(
        f"{model.event_type}Message",
        __base__=Envelope,
        __doc__=model.__doc__,
        event_type=(Literal[model.event_type], ...),  # type: ignore[arg-type]
        payload=(model, ...),
    )


def _documented_handler(message: type[Envelope]) -> Any:
    """A handler whose parameter type FastStream reads (never called: the inbox consumes)."""

    async def handle(msg: Any) -> None:
        raise NotImplementedError

    handle.__annotations__ = {"msg": message, "return": None}
    return handle


def document() -> Any:
    broker = KafkaBroker(
        "kafka:9092",
        description=(
            "Trao đổi giữa hệ thống BTXH (settlement-svc) và đơn vị chi trả (Bưu điện): "
            "gói danh sách chi trả, xác nhận, thu hồi, kết quả chi trả, quyết toán. "
            "Khóa của mỗi thông điệp là mã huyện; loại và phiên bản nằm cả trong header. "
            "Mọi thông điệp từ Bưu điện (postoffice.inbound) mang chữ ký Ed25519 trong "
            "payload.signature {key_id, alg, value}, ký trên bản chuẩn hóa: JSON UTF-8, khóa "
            "sắp xếp, không khoảng trắng, của {district_code, event_id, event_type, payload "
            "(mọi trường trừ signature, null nếu vắng)}; mỗi đơn vị chi trả một khóa, hai khóa "
            "cùng hiệu lực khi đổi khóa. Thông điệp không ký, khóa lạ, chữ ký sai, hoặc cho gói "
            "chưa gửi / không còn hiệu lực bị cách ly (quarantine), không bao giờ được áp dụng."
        ),
    )
    for model in OUTBOUND:
        broker.publisher(
            OUTBOUND_TOPIC,
            title=f"{OUTBOUND_TOPIC}:{model.event_type}",
            description=model.__doc__,
            schema=_message(model),
        )
    for model in INBOUND:
        handle = _documented_handler(_message(model))
        broker.subscriber(
            INBOUND_TOPIC,
            group_id=f"settlement-svc.{model.event_type}",
            title=f"{INBOUND_TOPIC}:{model.event_type}",
            description=model.__doc__,
        )(handle)
    return AsyncAPI(
        broker, title="BTXH ↔ Bưu điện (đơn vị chi trả)", version=VERSION, schema_version="3.0.0"
    ).to_specification()


def render() -> str:
    """YAML with keys sorted: FastStream's channel order varies between runs."""
    return str(yaml.safe_dump(document().to_jsonable(), sort_keys=True, allow_unicode=True))


if __name__ == "__main__":
    print(render(), end="")
