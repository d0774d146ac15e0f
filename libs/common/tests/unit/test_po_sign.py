"""Signatures on the post office's messages (btxh_common.po_sign): the canonical bytes as
the contract writes them, and every way a message fails to be believed."""

from __future__ import annotations

from uuid import UUID

from btxh_common.envelope import Envelope
from btxh_common.po_sign import (
    DEV_SIGNER,
    Keyring,
    PostOfficeKey,
    Signer,
    Verdict,
    canonical,
    dev_keys,
    issue,
)
from btxh_common.postoffice import PackageRejected, PaymentResults, PersonResult

PACKAGE = UUID("00000000-0000-0000-0000-00000000000a")
EVENT = UUID("00000000-0000-0000-0000-0000000000e1")


def test_canonical_bytes_are_the_contracts() -> None:
    rejected = PackageRejected(package_id=PACKAGE, version=2, reason="late")
    expected = (
        '{"district_code":"001","event_id":"00000000-0000-0000-0000-0000000000e1",'
        '"event_type":"PackageRejected","payload":{"detail":null,'
        '"package_id":"00000000-0000-0000-0000-00000000000a","reason":"late","version":2}}'
    )
    made = canonical(rejected, event_type="PackageRejected", district_code="001", event_id=EVENT)
    assert made == expected.encode()
    signed = rejected.model_copy(update={"signature": DEV_SIGNER.signature(made)})
    again = canonical(signed, event_type="PackageRejected", district_code="001", event_id=EVENT)
    assert again == made, "the signature itself is not signed"


def results(status: str = "paid") -> PaymentResults:
    line = UUID("00000000-0000-0000-0000-0000000000b1")
    return PaymentResults(
        package_id=PACKAGE,
        version=1,
        part=0,
        parts=1,
        results=[PersonResult(line_id=line, status=status)],  # type: ignore[arg-type]
    )


def check(keyring: Keyring, envelope: Envelope, **change: object) -> Verdict | None:
    """The envelope as received (through its bytes), optionally changed on the way."""
    received = Envelope.from_bytes(envelope.to_bytes())
    if change:
        received = received.model_copy(update=change)
    message = received.open(PaymentResults)
    return keyring.check(
        message,
        event_type=received.event_type,
        district_code=received.district_code,
        event_id=received.event_id,
    )


def test_a_signed_message_is_believed_and_any_change_breaks_it() -> None:
    keyring = Keyring(dev_keys())
    signed = DEV_SIGNER.envelope(results(), producer="po", district_code="001")
    assert check(keyring, signed) is None
    forged_body = {
        **signed.payload,
        "results": results("unpaid").model_dump(mode="json")["results"],
    }
    assert check(keyring, signed, payload=forged_body) is Verdict.BAD_SIGNATURE
    assert check(keyring, signed, district_code="002") is Verdict.BAD_SIGNATURE
    assert check(keyring, signed, event_id=EVENT) is Verdict.BAD_SIGNATURE


def test_unsigned_unknown_key_and_a_key_of_other_districts() -> None:
    unsigned = Envelope.wrap(results(), producer="po", district_code="001")
    assert check(Keyring(dev_keys()), unsigned) is Verdict.UNSIGNED
    stranger, _ = issue("po-unknown")
    signed = stranger.envelope(results(), producer="po", district_code="001")
    assert check(Keyring(dev_keys()), signed) is Verdict.UNKNOWN_KEY
    hanoi, hanoi_public = issue("po-hanoi-1")
    only_hanoi = {"po-hanoi-1": hanoi_public.model_copy(update={"districts": frozenset({"001"})})}
    keyring = Keyring(only_hanoi)
    assert check(keyring, hanoi.envelope(results(), producer="po", district_code="001")) is None
    other = hanoi.envelope(results(), producer="po", district_code="760")
    assert check(keyring, other) is Verdict.KEY_NOT_FOR_DISTRICT


def test_a_key_id_signed_with_another_private_key_is_a_forgery() -> None:
    thief, _ = issue("whatever")
    posing = Signer(DEV_SIGNER.key_id, thief.private_key)
    signed = posing.envelope(results(), producer="po", district_code="001")
    assert check(Keyring(dev_keys()), signed) is Verdict.BAD_SIGNATURE


def test_keys_are_ed25519_public_halves() -> None:
    signer, public = issue("po-x")
    assert public == PostOfficeKey(post_office="po-x", public_key=signer.public_key())
    assert len(public.public_key) == 44
    assert public.public_key != signer.private_key
