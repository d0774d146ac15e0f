"""Every contract on the bus is strict: unknown fields are refused, every text field has a
length bound or a pattern, every amount a floor and a ceiling. A consumer opens each event
with its contract, so an event that breaks one is parked, never stored (issue 16, item 9).
Lists are bounded by the message itself (the broker's size limit), not here."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from annotated_types import Ge, Le, MaxLen
from btxh_common import postoffice
from btxh_common.envelope import Envelope, EventPayload
from btxh_common.events import CONTRACTS, BeneficiaryChanged, PaymentListRow
from btxh_common.inbox import describe
from pydantic import BaseModel, ValidationError


def _models(t: Any, seen: set[type[BaseModel]]) -> None:
    if isinstance(t, type) and issubclass(t, BaseModel) and t not in seen:
        seen.add(t)
        for f in t.model_fields.values():
            _models(f.annotation, seen)
    for arg in typing.get_args(t):
        _models(arg, seen)


def every_model() -> list[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    wire = [v for v in vars(postoffice).values() if isinstance(v, type)]
    for contract in [*CONTRACTS.values(), *wire, Envelope]:
        if issubclass(contract, BaseModel):
            _models(contract, seen)
    return sorted(seen - {EventPayload}, key=lambda m: m.__name__)


def _is_text(t: Any) -> bool:
    if t is str:
        return True
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        return any(_is_text(a) for a in typing.get_args(t))
    return False


def _is_int(t: Any) -> bool:
    if t is int:
        return True
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        return any(_is_int(a) for a in typing.get_args(t))
    return False


MODELS = every_model()


def test_the_walk_finds_the_contracts() -> None:
    names = {m.__name__ for m in MODELS}
    assert {"BeneficiarySnapshot", "PolicyPeriod", "PaymentResults", "Manifest"} <= names
    assert len(MODELS) > 30


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_unknown_fields_are_refused(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_text_field_is_bounded(model: type[BaseModel]) -> None:
    unbounded = [
        name
        for name, f in model.model_fields.items()
        if _is_text(f.annotation)
        and not any(isinstance(m, MaxLen) or getattr(m, "pattern", None) for m in f.metadata)
        and name != "payload"
    ]
    assert unbounded == []


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_amount_has_a_floor_and_a_ceiling(model: type[BaseModel]) -> None:
    loose = [
        name
        for name, f in model.model_fields.items()
        if _is_int(f.annotation)
        and "amount" in name
        and not (
            any(isinstance(m, Ge) and m.ge >= 0 for m in f.metadata)
            and any(isinstance(m, Le) for m in f.metadata)
        )
    ]
    assert loose == []


def snapshot(**change: Any) -> dict[str, Any]:
    base = {
        "id": "0190d1c2-3b4a-7c5d-8e6f-000000000001",
        "national_id": "001234567890",
        "full_name": "Nguyễn Văn An",
        "district_code": "001",
        "commune_code": "00001",
        "status": "active",
        "version": 2,
    }
    return {**base, **change}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"full_name": "A" * 5_000_000}, "beneficiary.full_name"),
        ({"arrears_amount": -1}, "beneficiary.arrears_amount"),
        ({"arrears_amount": 10**13}, "beneficiary.arrears_amount"),
        ({"district_code": "1A"}, "beneficiary.district_code"),
        ({"commune_code": "1"}, "beneficiary.commune_code"),
        ({"bank_account": "9" * 5_000_000}, "beneficiary.bank_account"),
        ({"coefficient": "fifteen"}, "beneficiary.coefficient"),
        ({"is_admin": True}, "beneficiary.is_admin"),
    ],
)
def test_an_ill_formed_beneficiary_changed_is_refused_naming_the_field_not_the_value(
    change: dict[str, Any], field: str
) -> None:
    payload = {"beneficiary": snapshot(**change), "changed": ["full_name"], "source": "x"}
    with pytest.raises(ValidationError) as caught:
        BeneficiaryChanged.model_validate(payload)
    reason = describe(caught.value, "BeneficiaryChanged")
    assert reason.startswith(f"contract broken (BeneficiaryChanged): {field}: ")
    for value in ("AAAA", "9999", "001234567890", "fifteen"):
        assert value not in reason
    assert len(reason) < 500


def payment_row(**change: Any) -> dict[str, Any]:
    # The row payment-svc sends (adapters/lines.to_send), written out by hand.
    row = {
        "line_id": "0190d1c2-3b4a-7c5d-8e6f-000000000009",
        "beneficiary_id": "0190d1c2-3b4a-7c5d-8e6f-000000000001",
        "national_id": "001234567890",
        "full_name": "Nguyễn Văn An",
        "commune_code": "00001",
        "payment_channel": "bank",
        "bank_account": "0011004455667",
        "amount": 860_000,
        "allowance": 500_000,
        "arrears": 360_000,
        "carried_over": 0,
        "recovery": 0,
        "kind": "monthly",
    }
    return {**row, **change}


def test_a_list_row_as_payment_svc_sends_it_fits_the_row_contract() -> None:
    assert PaymentListRow.model_validate(payment_row()).amount == 860_000


@pytest.mark.parametrize(
    "change",
    [
        {"amount": -1},
        {"full_name": "A" * 201},
        {"bank_account": "1" * 35},
        {"commune_code": "1"},
        {"line_id": "not-a-uuid"},
        {"note": "an unknown field"},
    ],
)
def test_a_list_row_out_of_its_contract_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PaymentListRow.model_validate(payment_row(**change))
