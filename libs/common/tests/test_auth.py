from datetime import timedelta

import jwt
import pytest
from btxh_common.auth import Role, mint_token, verify_token
from btxh_common.problems import NotFound, Unauthorized
from btxh_common.settings import ServiceSettings

SETTINGS = ServiceSettings()


def test_a_minted_token_verifies_to_the_officer_role_and_units() -> None:
    token = mint_token(SETTINGS, officer_id="o1", role=Role.DISTRICT_OFFICER, units=["001"])
    who = verify_token(SETTINGS, token)
    assert (who.officer_id, who.role, who.units) == ("o1", Role.DISTRICT_OFFICER, {"001"})
    who.require_unit("001")
    with pytest.raises(NotFound):
        who.require_unit("002")


@pytest.mark.parametrize(
    "token",
    [
        mint_token(
            SETTINGS,
            officer_id="o",
            role=Role.DISTRICT_OFFICER,
            units=["001"],
            ttl=timedelta(seconds=-1),
        ),
        mint_token(
            ServiceSettings(jwt_secret="another-secret-of-enough-length-0123456789"),
            officer_id="o",
            role=Role.DISTRICT_OFFICER,
            units=["001"],
        ),
        mint_token(
            ServiceSettings(jwt_audience="other"),
            officer_id="o",
            role=Role.DISTRICT_OFFICER,
            units=["001"],
        ),
        jwt.encode(
            {
                "sub": "o",
                "role": "king",
                "units": ["001"],
                "exp": 9999999999,
                "iss": SETTINGS.jwt_issuer,
                "aud": SETTINGS.jwt_audience,
            },
            SETTINGS.jwt_secret,
            algorithm="HS256",
        ),
        "not-a-token",
    ],
    ids=["expired", "wrong-key", "wrong-audience", "unknown-role", "garbage"],
)
def test_a_bad_token_is_unauthorized(token: str) -> None:
    with pytest.raises(Unauthorized):
        verify_token(SETTINGS, token)
