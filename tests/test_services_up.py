"""Every service starts as a real process on real infrastructure and guards its doors."""

import httpx
from btxh_common.auth import Role
from btxh_tools.harness import Stack

BOSS = Role.DISTRICT_SUPERVISOR  # DOMAIN: payment-unit settings are the supervisor's


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
