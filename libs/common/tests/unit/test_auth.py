"""The gateway's tokens as a service checks them: EdDSA by a configured public key, within the
lifetime, or 401 with the Vietnamese message. Tokens here are built by hand with PyJWT and
keys generated here, not by the code under test's own idea of a good token."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from btxh_common.auth import KeyConfigError, Role, load_verifier, verify_token
from btxh_common.problems import NotFound, Unauthorized
from btxh_common.settings import ServiceSettings
from btxh_tools.tokens import SigningKey, ensure_dev_keys, jwks, mint_token
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GATEWAY = SigningKey.generate("gw-2026-11")
SETTINGS = ServiceSettings(jwt_public_keys=jwks(GATEWAY))
OLD_HS256_SECRET = "btxh-local-dev-secret-change-me-in-production"  # the key settings.py had
MESSAGE_VI = "Mã xác thực không hợp lệ hoặc đã hết hạn"


def claims(**change: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "o",
        "role": "district_officer",
        "units": ["001"],
        "iss": "btxh-gateway",
        "aud": "btxh",
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    base.update(change)
    return {k: v for k, v in base.items() if v is not None}


def signed(body: dict[str, Any], key: SigningKey = GATEWAY, kid: str | None = None) -> str:
    return jwt.encode(body, key.private, algorithm="EdDSA", headers={"kid": kid or key.kid})


def refused(token: str, settings: ServiceSettings = SETTINGS) -> None:
    with pytest.raises(Unauthorized) as caught:
        verify_token(settings, token)
    assert caught.value.status == 401
    assert caught.value.detail == MESSAGE_VI


def test_a_gateway_token_verifies_to_the_officer_role_and_units() -> None:
    token = mint_token(GATEWAY, officer_id="o1", role=Role.DISTRICT_OFFICER, units=["001"])
    who = verify_token(SETTINGS, token)
    assert (who.officer_id, who.role, who.units) == ("o1", Role.DISTRICT_OFFICER, {"001"})
    who.require_unit("001")
    with pytest.raises(NotFound):
        who.require_unit("002")


def test_a_token_of_exactly_the_maximum_lifetime_is_accepted() -> None:
    now = datetime.now(UTC)
    token = signed(claims(iat=now, exp=now + timedelta(hours=12)))
    assert verify_token(SETTINGS, token).officer_id == "o"


def _hs256(secret: str | bytes, kid: str = GATEWAY.kid) -> str:
    return jwt.encode(claims(), secret, algorithm="HS256", headers={"kid": kid})


def _public_bytes() -> bytes:
    return GATEWAY.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _unsigned() -> str:
    def part(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    body = {**claims(), "iat": 1_900_000_000, "exp": 1_900_003_600}
    return f"{part({'alg': 'none', 'kid': GATEWAY.kid})}.{part(body)}."


def _other_alg(kind: str) -> str:
    if kind == "RS256":
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims(), private, algorithm=kind, headers={"kid": GATEWAY.kid})


@pytest.mark.parametrize(
    "make",
    [
        lambda: _hs256(OLD_HS256_SECRET),
        lambda: _hs256(_public_bytes()),  # algorithm confusion: the public key as HMAC secret
        _unsigned,
        lambda: _other_alg("RS256"),
        lambda: _other_alg("ES256"),
    ],
    ids=["hs256-old-secret", "hs256-public-key-as-secret", "alg-none", "rs256", "es256"],
)
def test_a_token_of_another_algorithm_is_refused(make: Any) -> None:
    refused(make())


def test_a_token_claiming_a_known_kid_but_signed_by_another_key_is_refused() -> None:
    forger = SigningKey.generate("forger")
    refused(signed(claims(), key=forger, kid=GATEWAY.kid))


@pytest.mark.parametrize("kid", ["unknown-kid", ""], ids=["unknown", "empty"])
def test_a_token_whose_kid_is_not_configured_is_refused(kid: str) -> None:
    token = jwt.encode(claims(), GATEWAY.private, algorithm="EdDSA", headers={"kid": kid})
    refused(token)


def test_a_token_without_kid_is_refused() -> None:
    refused(jwt.encode(claims(), GATEWAY.private, algorithm="EdDSA"))


@pytest.mark.parametrize("hours", [12.1, 13, 24 * 365])
def test_a_token_living_longer_than_the_maximum_is_refused(hours: float) -> None:
    now = datetime.now(UTC)
    refused(signed(claims(iat=now, exp=now + timedelta(hours=hours))))


def test_the_maximum_lifetime_is_a_setting() -> None:
    now = datetime.now(UTC)
    token = signed(claims(iat=now, exp=now + timedelta(hours=2)))
    refused(token, SETTINGS.model_copy(update={"jwt_max_lifetime_seconds": 3600}))
    assert verify_token(SETTINGS, token).officer_id == "o"


@pytest.mark.parametrize(
    "body",
    [
        claims(
            iat=datetime.now(UTC) - timedelta(hours=2), exp=datetime.now(UTC) - timedelta(hours=1)
        ),
        claims(exp=None),
        claims(iat=None),
        claims(iat=datetime.now(UTC) + timedelta(hours=1), exp=datetime.now(UTC)),
        claims(aud="other"),
        claims(iss="someone-else"),
        claims(role="king"),
        claims(sub=None),
    ],
    ids=[
        "expired",
        "no-exp",
        "no-iat",
        "issued-after-expiry",
        "wrong-audience",
        "wrong-issuer",
        "unknown-role",
        "no-subject",
    ],
)
def test_a_token_with_bad_claims_is_refused(body: dict[str, Any]) -> None:
    refused(signed(body))


def test_garbage_is_refused() -> None:
    refused("not-a-token")


def test_during_a_rotation_both_keys_verify_and_a_removed_key_no_longer_does() -> None:
    new = SigningKey.generate("gw-2026-12")
    old_token, new_token = signed(claims()), signed(claims(sub="n"), key=new)
    both = ServiceSettings(jwt_public_keys=jwks(GATEWAY, new))
    assert verify_token(both, old_token).officer_id == "o"
    assert verify_token(both, new_token).officer_id == "n"
    after = ServiceSettings(jwt_public_keys=jwks(new))
    refused(old_token, after)
    assert verify_token(after, new_token).officer_id == "n"


def test_keys_can_come_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(jwks(GATEWAY))
    settings = ServiceSettings(jwt_public_keys_file=str(path))
    assert verify_token(settings, signed(claims())).officer_id == "o"


@pytest.mark.parametrize("env", ["", "prod", "dev"])
def test_without_a_key_outside_the_local_stack_there_is_no_verifier(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_dev_keys(tmp_path / "keys")  # a dev key lying around is not picked up
    monkeypatch.setenv("BTXH_RUN_DIR", str(tmp_path))
    with pytest.raises(KeyConfigError, match="JWT_PUBLIC_KEYS_FILE"):
        load_verifier(ServiceSettings(btxh_env=env))


def test_on_the_local_stack_the_dev_key_pair_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BTXH_RUN_DIR", str(tmp_path))
    with pytest.raises(KeyConfigError, match="make up"):
        load_verifier(ServiceSettings(btxh_env="local"))
    dev = ensure_dev_keys(tmp_path / "keys")
    token = mint_token(dev, officer_id="dev", role=Role.DISTRICT_OFFICER, units=["001"])
    assert verify_token(ServiceSettings(btxh_env="local"), token).officer_id == "dev"
    refused(token)  # the production keys do not know the dev key


@pytest.mark.parametrize(
    "document",
    [
        json.dumps({"keys": [GATEWAY.private_jwk()]}),
        json.dumps({"keys": [{**GATEWAY.public_jwk(), "kid": ""}]}),
        json.dumps({"keys": [GATEWAY.public_jwk(), GATEWAY.public_jwk()]}),
        json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hs"}]}),
        '{"keys": []}',
        "not json",
    ],
    ids=["private-key", "no-kid", "duplicate-kid", "symmetric-key", "empty", "not-json"],
)
def test_a_bad_key_set_is_a_configuration_error(document: str) -> None:
    with pytest.raises(KeyConfigError):
        load_verifier(ServiceSettings(jwt_public_keys=document))
