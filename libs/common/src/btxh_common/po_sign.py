"""Signatures on the post office's messages (DOMAIN "The post office is a partner…").

Each post office holds an Ed25519 private key issued to it; settlement-svc holds only the
public keys, by key id (two at once while a key is rotated), so it can check a message but
never forge one. The signature travels in the payload, as its ``signature`` field
(``{"key_id", "alg": "Ed25519", "value": base64}``), over these canonical bytes:

    UTF-8 JSON, keys sorted, no whitespace, non-ASCII as is, of
    {"district_code": <envelope's>, "event_id": <envelope's>, "event_type": <envelope's>,
     "payload": <every field of the payload but ``signature``; null where absent>}

Signing the envelope's event id and district binds a signature to one message of one
district: a replay is the same event (the inbox applies it once), and moving it to another
district breaks it. ``Signer`` is the post office's side (the simulator), ``Keyring`` ours.
``python -m btxh_common.po_sign KEY_ID`` issues a key pair.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel, ConfigDict, Field

from btxh_common import jsonfast
from btxh_common.envelope import Envelope, EventPayload

KEY_ID = r"^[A-Za-z0-9._:-]{1,64}$"

# The local stack's post-office key (the simulator signs with it, settlement-svc trusts its
# public half by default); every real deployment sets its own keys from a secret store.
DEV_KEY_ID = "dev-postoffice-1"
DEV_PRIVATE_KEY = base64.b64encode(hashlib.sha256(b"btxh-local-dev-postoffice").digest()).decode()


class Signature(BaseModel):
    """Who signed (the key id issued to a post office) and the Ed25519 signature."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    key_id: str = Field(pattern=KEY_ID, description="mã khóa do BTXH cấp cho đơn vị chi trả")
    alg: Literal["Ed25519"] = "Ed25519"
    value: str = Field(
        pattern=r"^[A-Za-z0-9+/]{86}==$", description="chữ ký Ed25519 (64 byte, base64)"
    )


class PostOfficeKey(BaseModel):
    """A public key we trust, issued to one post office, optionally only for some districts
    (none listed: every district)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    post_office: str = Field(min_length=1)
    public_key: str = Field(description="Ed25519 public key, 32 bytes, base64")
    districts: frozenset[str] = frozenset()


class Verdict(StrEnum):
    """Why a message is not believed (it is quarantined with this reason)."""

    UNSIGNED = "unsigned"
    UNKNOWN_KEY = "unknown_key"
    KEY_NOT_FOR_DISTRICT = "key_not_for_district"
    BAD_SIGNATURE = "bad_signature"


def canonical(
    payload: EventPayload, *, event_type: str, district_code: str, event_id: UUID
) -> bytes:
    body = payload.model_dump(mode="json", exclude={"signature"})
    document = {
        "district_code": district_code,
        "event_id": str(event_id),
        "event_type": event_type,
        "payload": body,
    }
    # json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False), byte
    # for byte (the signature's contract), written by orjson where that is the same
    return jsonfast.dumps(document, sort_keys=True)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str, size: int) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc
    if len(data) != size:
        raise ValueError(f"expected {size} bytes, got {len(data)}")
    return data


@dataclass(frozen=True)
class Signer:
    """A post office's private key (32-byte seed, base64) under the id we issued it."""

    key_id: str
    private_key: str

    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(_unb64(self.private_key, 32))

    def public_key(self) -> str:
        raw = self._key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return _b64(raw)

    def signature(self, data: bytes) -> Signature:
        return Signature(key_id=self.key_id, value=_b64(self._key().sign(data)))

    def envelope(self, payload: EventPayload, *, producer: str, district_code: str) -> Envelope:
        """``payload`` wrapped and signed (its ``signature`` set over the canonical bytes)."""
        envelope = Envelope.wrap(payload, producer=producer, district_code=district_code)
        data = canonical(
            payload,
            event_type=envelope.event_type,
            district_code=district_code,
            event_id=envelope.event_id,
        )
        signed = payload.model_copy(update={"signature": self.signature(data)})
        return envelope.model_copy(update={"payload": signed.model_dump(mode="json")})


DEV_SIGNER = Signer(DEV_KEY_ID, DEV_PRIVATE_KEY)


def dev_keys() -> dict[str, PostOfficeKey]:
    """The keyring of the local stack: the simulator's dev key."""
    return {DEV_KEY_ID: PostOfficeKey(post_office="dev", public_key=DEV_SIGNER.public_key())}


class Keyring:
    """The public keys we trust, by key id; unusable keys are refused when loaded."""

    def __init__(self, keys: Mapping[str, PostOfficeKey]) -> None:
        self._keys = {
            key_id: (key, Ed25519PublicKey.from_public_bytes(_unb64(key.public_key, 32)))
            for key_id, key in keys.items()
        }

    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def check(
        self,
        payload: EventPayload,
        *,
        event_type: str,
        district_code: str,
        event_id: UUID,
    ) -> Verdict | None:
        """None if ``payload`` is signed by a key we trust for its district; else why not."""
        signature = getattr(payload, "signature", None)
        if not isinstance(signature, Signature):
            return Verdict.UNSIGNED
        found = self._keys.get(signature.key_id)
        if found is None:
            return Verdict.UNKNOWN_KEY
        key, public = found
        if key.districts and district_code not in key.districts:
            return Verdict.KEY_NOT_FOR_DISTRICT
        data = canonical(
            payload, event_type=event_type, district_code=district_code, event_id=event_id
        )
        try:
            public.verify(_unb64(signature.value, 64), data)
        except (InvalidSignature, ValueError):
            return Verdict.BAD_SIGNATURE
        return None


def issue(key_id: str) -> tuple[Signer, PostOfficeKey]:
    """A new key pair: the private half for the post office, the public half for us."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    signer = Signer(key_id, _b64(seed))
    return signer, PostOfficeKey(post_office=key_id, public_key=signer.public_key())


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m btxh_common.po_sign KEY_ID", file=sys.stderr)
        raise SystemExit(2)
    signer, public = issue(args[0])
    print(f"# for the post office (keep secret): key id {signer.key_id}")
    print(f"POSTOFFICE_PRIVATE_KEY={signer.private_key}")
    print("# for settlement-svc POSTOFFICE_KEYS (public):")
    print(json.dumps({signer.key_id: public.model_dump(mode="json")}))


if __name__ == "__main__":
    main()
