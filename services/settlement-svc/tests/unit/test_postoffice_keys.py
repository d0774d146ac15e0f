"""settlement-svc's post-office keys come from its settings (POSTOFFICE_KEYS, a k8s Secret
in deploy/): two keys of a post office are trusted while its key is rotated, the old one is
refused once it is removed."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from btxh_common.envelope import Envelope
from btxh_common.po_sign import DEV_KEY_ID, Keyring, PostOfficeKey, Signer, Verdict, issue
from btxh_common.postoffice import PackageRejected
from settlement_svc.config import Settings


def env_keys(*keys: tuple[Signer, PostOfficeKey]) -> str:
    return json.dumps({s.key_id: k.model_dump(mode="json") for s, k in keys})


def verdict(keyring: Keyring, signer: Signer) -> Verdict | None:
    message = PackageRejected(package_id=uuid4(), version=1, reason="late")
    envelope = Envelope.from_bytes(
        signer.envelope(message, producer="po", district_code="001").to_bytes()
    )
    return keyring.check(
        envelope.open(PackageRejected),
        event_type=envelope.event_type,
        district_code=envelope.district_code,
        event_id=envelope.event_id,
    )


def test_rotation_both_keys_while_both_are_set_then_only_the_new(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new = issue("po-hanoi-2026"), issue("po-hanoi-2027")
    monkeypatch.setenv("POSTOFFICE_KEYS", env_keys(old, new))
    during = Settings().keyring()
    assert during.key_ids() == ["po-hanoi-2026", "po-hanoi-2027"]
    assert [verdict(during, old[0]), verdict(during, new[0])] == [None, None]
    monkeypatch.setenv("POSTOFFICE_KEYS", env_keys(new))
    after = Settings().keyring()
    assert verdict(after, old[0]) is Verdict.UNKNOWN_KEY
    assert verdict(after, new[0]) is None


def test_the_default_trusts_only_the_simulators_dev_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTOFFICE_KEYS", raising=False)
    assert Settings().keyring().key_ids() == [DEV_KEY_ID]


def test_a_key_that_is_not_a_public_key_stops_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = {"po-x": {"post_office": "x", "public_key": "c2hvcnQ="}}
    monkeypatch.setenv("POSTOFFICE_KEYS", json.dumps(broken))
    with pytest.raises(ValueError, match="32 bytes"):
        Settings().keyring()
