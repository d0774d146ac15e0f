"""Every service starts as a real process on real infrastructure and guards its doors."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest_asyncio
from btxh_common.auth import Role
from btxh_tools.harness import TEST_KEY, Stack, start_stack
from btxh_tools.tokens import SigningKey, ensure_dev_keys, mint_token

BOSS = Role.DISTRICT_SUPERVISOR  # DOMAIN: payment-unit settings are the supervisor's
OLD_SECRET = "btxh-local-dev-secret-change-me-in-production"  # the HS256 key every service had


@pytest_asyncio.fixture(scope="module")
async def stack(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    """One stack for the module's door checks (each only reads, or writes district 001's own
    settings and checks them): started once, not once a test."""
    async with start_stack(pg_server, kafka_bootstrap, module_tmp) as run:
        yield run


async def test_every_service_is_ready_with_its_database_and_the_broker(stack: Stack) -> None:
    async with httpx.AsyncClient() as http:
        for name, url in stack.urls.items():
            ready = await http.get(url + "/readyz")
            assert ready.status_code == 200, (name, ready.text)
            assert ready.json()["checks"] == {"database": True, "broker": True}
            assert (await http.get(url + "/healthz")).status_code == 200
            metrics = await http.get(url + "/metrics/")
            assert "btxh_outbox_published_total" in metrics.text


async def test_without_a_valid_token_the_answer_is_401_problem_json(stack: Stack) -> None:
    url = stack.urls["settlement-svc"] + "/v1/districts/001/payment-unit-settings"
    async with httpx.AsyncClient() as http:
        for headers in ({}, {"Authorization": "Bearer forged"}):
            answer = await http.get(url, headers=headers)
            assert answer.status_code == 401
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == "unauthorized"


async def test_another_districts_resource_is_404_and_left_untouched(stack: Stack) -> None:
    url = stack.urls["settlement-svc"] + "/v1/districts/{}/payment-unit-settings"
    body = {
        "list_cutoff_day": 5,
        "settlement_cutoff_day": 25,
        "months_per_settlement": 1,
        "integrated": True,
    }
    async with httpx.AsyncClient() as http:
        own = await http.put(url.format("001"), json=body, headers=stack.token("001", role=BOSS))
        assert own.status_code == 200
        intruder = stack.token("002", role=BOSS)
        assert (await http.get(url.format("001"), headers=intruder)).status_code == 404
        changed = {**body, "integrated": False}
        assert (
            await http.put(url.format("001"), json=changed, headers=intruder)
        ).status_code == 404
        kept = await http.get(url.format("001"), headers=stack.token("001"))
        assert kept.json()["integrated"] is True


async def test_a_malformed_request_gets_field_errors_in_vietnamese(stack: Stack) -> None:
    url = stack.urls["settlement-svc"] + "/v1/districts/001/payment-unit-settings"
    body = {
        "list_cutoff_day": 40,
        "settlement_cutoff_day": 25,
        "months_per_settlement": 1,
        "integrated": True,
    }
    async with httpx.AsyncClient() as http:
        answer = await http.put(url, json=body, headers=stack.token("001", role=BOSS))
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"][0]["field"] == "list_cutoff_day"
    assert problem["errors"][0]["value"] == 40


async def test_every_service_refuses_a_token_not_signed_by_the_gateway_or_living_too_long(
    stack: Stack,
) -> None:
    """Done-when of issue 16: a token signed by a service's key (the old shared HS256 secret,
    or any Ed25519 key that is not the gateway's) or past the 12 h lifetime is refused."""
    reads = {
        "import-svc": "/v1/imports?district=001",
        "beneficiary-svc": "/v1/beneficiaries?district=001",
        "payment-svc": "/v1/districts/001/periods",
        "settlement-svc": "/v1/districts/001/settlements",
    }
    now = datetime.now(UTC)
    claims = {
        "sub": "intruder",
        "role": "district_supervisor",
        "units": ["001"],
        "iss": "btxh-gateway",
        "aud": "btxh",
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    other = SigningKey.generate(TEST_KEY.kid)  # a key of its own, claiming the gateway's kid
    forged = {
        "old-hs256-secret": jwt.encode(claims, OLD_SECRET, "HS256", {"kid": TEST_KEY.kid}),
        "another-ed25519-key": jwt.encode(claims, other.private, "EdDSA", {"kid": other.kid}),
        "13h-lifetime": jwt.encode(
            {**claims, "exp": now + timedelta(hours=13)},
            TEST_KEY.private,
            "EdDSA",
            {"kid": TEST_KEY.kid},
        ),
        "expired": jwt.encode(
            {**claims, "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
            TEST_KEY.private,
            "EdDSA",
            {"kid": TEST_KEY.kid},
        ),
    }
    genuine = jwt.encode(claims, TEST_KEY.private, "EdDSA", {"kid": TEST_KEY.kid})
    async with httpx.AsyncClient() as http:
        for name, path in reads.items():
            url = stack.urls[name] + path
            ok = await http.get(url, headers={"Authorization": f"Bearer {genuine}"})
            assert ok.status_code == 200, (name, ok.text)
            for why, token in forged.items():
                answer = await http.get(url, headers={"Authorization": f"Bearer {token}"})
                assert answer.status_code == 401, (name, why, answer.text)
                assert answer.json()["detail"] == "Mã xác thực không hợp lệ hoặc đã hết hạn"


async def test_on_the_local_stack_a_service_without_keys_uses_the_dev_key_pair(
    pg_server: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """BTXH_ENV=local and no key given: the service verifies with the dev key pair under
    BTXH_RUN_DIR/keys (what `make up` generates and `btxh-token` signs with), nothing else."""
    dev = ensure_dev_keys(tmp_path / "run" / "keys")
    local = {
        "BTXH_ENV": "local",
        "BTXH_RUN_DIR": str(tmp_path / "run"),
        "JWT_PUBLIC_KEYS": "",
        "JWT_PUBLIC_KEYS_FILE": "",
    }
    names = ["payment-svc"]
    async with start_stack(
        pg_server, kafka_bootstrap, tmp_path, names, env={"payment-svc": local}
    ) as run:
        url = run.urls["payment-svc"] + "/v1/districts/001/periods"
        token = mint_token(dev, officer_id="dev", role=Role.DISTRICT_OFFICER, units=["001"])
        async with httpx.AsyncClient() as http:
            ok = await http.get(url, headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200, ok.text
            assert (await http.get(url, headers=run.token("001"))).status_code == 401
