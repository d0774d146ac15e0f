"""Issue 15 items 3 and 4 through the real services (payment-svc and settlement-svc over HTTP
and the bus), the post office played by the test.

- Item 3: the post office rejects a package after accepting it: the package shows the reason,
  payment-svc's list is ``rejected`` and the officer's new version goes out; the post office
  asks for more days: recorded and shown, refused beyond the 1–19-day rule, answered by the
  officer's extension.
- Item 4: a supervisor's manual ``paid`` in an integrated district reaches settlement-svc;
  closing marks unpaid only the people with no result and no manual status, and next month's
  list carries only theirs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from btxh_common.auth import Role
from btxh_common.envelope import Envelope
from btxh_common.events import BeneficiaryRegistered, BeneficiarySnapshot
from btxh_common.outbox import make_producer
from btxh_common.postoffice import (
    ExtensionRequest,
    PackageRejected,
    PaymentResults,
    PersonResult,
)
from btxh_common.testing.postoffice_player import Held, PostOfficePlayer
from btxh_common.topics import BENEFICIARY_EVENTS, POSTOFFICE_INBOUND, POSTOFFICE_OUTBOUND
from btxh_tools.harness import Stack, start_stack

MONTH = "2026-11"
NEXT = "2026-12"
ALLOWANCE = 500_000  # NCT_80 (coefficient 1.0) × the level from 2024-07 (Nghị định 76/2024)


@pytest_asyncio.fixture(scope="module")
async def svc(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(
        pg_server,
        kafka_bootstrap,
        module_tmp,
        ["settlement-svc", "payment-svc"],
        env={"settlement-svc": {"SCAN_SECONDS": "0.3"}},
    ) as run:
        yield run


@pytest_asyncio.fixture(scope="module")
async def player(svc: Stack) -> AsyncIterator[PostOfficePlayer]:
    po = PostOfficePlayer(
        svc.bootstrap,
        outbound=svc.topic(POSTOFFICE_OUTBOUND),
        inbound=svc.topic(POSTOFFICE_INBOUND),
        group=f"player-{uuid4().hex[:6]}",
    )
    await po.start()
    yield po
    await po.stop()


@pytest_asyncio.fixture(scope="module")
async def producer(svc: Stack) -> AsyncIterator[AIOKafkaProducer]:
    p = make_producer(svc.bootstrap)
    await p.start()
    yield p
    await p.stop()


async def until(what: str, check: Callable[[], Awaitable[Any]], timeout: float = 60) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"never: {what}")


async def people(svc: Stack, producer: AIOKafkaProducer, district: str, n: int) -> None:
    """``n`` people of ``district`` in payment-svc's register, each owed ALLOWANCE a month."""
    for i in range(n):
        person = BeneficiarySnapshot(
            id=uuid4(),
            national_id=f"{district}{i:09d}",
            full_name=f"Người {i}",
            district_code=district,
            commune_code="00100",
            category="NCT_80",
            coefficient=10,
            status="active",
            allowance_start_month="2024-01",
            version=1,
        )
        e = Envelope.wrap(
            BeneficiaryRegistered(beneficiary=person, source="test"),
            producer="beneficiary-svc",
            district_code=district,
        )
        await producer.send_and_wait(
            svc.topic(BENEFICIARY_EVENTS), e.to_bytes(), key=e.key(), headers=e.headers()
        )
    payments = await asyncpg.connect(svc.dsns["payment-svc"])
    try:
        await until(
            "payment-svc knows them",
            lambda: _count(
                payments, "SELECT count(*) FROM recipient WHERE district_code = $1", n, district
            ),
        )
    finally:
        await payments.close()


async def _count(conn: asyncpg.Connection, sql: str, n: int, *args: Any) -> bool:
    return bool(await conn.fetchval(sql, *args) == n)


async def make_and_submit(pay: httpx.AsyncClient, district: str, month: str) -> dict[str, Any]:
    made = await pay.post(f"/v1/districts/{district}/periods/{month}/lists", json={})
    assert made.status_code == 201, made.text
    submitted = await pay.post(f"/v1/lists/{made.json()['id']}/submit")
    assert submitted.status_code == 202, submitted.text
    found: dict[str, Any] = made.json()
    return found


async def whole_package(player: PostOfficePlayer, list_id: str) -> Held:
    async def arrived() -> Held | None:
        await player.read()
        for held in player.held.values():
            if held.manifest and str(held.manifest.list_id) == list_id and held.rows():
                return held
        return None

    found: Held = await until(f"the package of list {list_id} at the post office", arrived)
    return found


async def settlement_of(st: httpx.AsyncClient, district: str, package: UUID) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        answer = (await st.get(f"/v1/districts/{district}/settlements")).json()
        return next((s for s in answer["settlements"] if s["package_id"] == str(package)), None)

    result: dict[str, Any] = await until("the settlement open", found)
    return result


async def list_status(pay: httpx.AsyncClient, list_id: str) -> str:
    return str((await pay.get(f"/v1/lists/{list_id}")).json()["status"])


async def lines_of(pay: httpx.AsyncClient, list_id: str) -> dict[str, dict[str, Any]]:
    """The list's lines by national ID."""
    found = (await pay.get(f"/v1/lists/{list_id}/lines", params={"size": 500})).json()["lines"]
    return {line["national_id"]: line for line in found}


async def test_a_rejected_package_is_shown_and_the_new_version_goes_out(
    svc: Stack, player: PostOfficePlayer, producer: AIOKafkaProducer
) -> None:
    district = "031"
    await people(svc, producer, district, 3)
    officer = svc.token(district)
    async with (
        httpx.AsyncClient(base_url=svc.urls["payment-svc"], headers=officer) as pay,
        httpx.AsyncClient(base_url=svc.urls["settlement-svc"], headers=officer) as st,
    ):
        assert (
            await pay.post(f"/v1/districts/{district}/periods", json={"month": MONTH})
        ).status_code == 201
        v1 = await make_and_submit(pay, district, MONTH)
        first = await whole_package(player, v1["id"])
        await player.say(first.acceptance(), district)
        await until("v1 acknowledged", lambda: _is(list_status(pay, v1["id"]), "acknowledged"))
        await player.say(
            PackageRejected(
                package_id=first.package_id,
                version=first.version,
                reason="invalid",
                detail="Sai mã xã 00100",
            ),
            district,
        )
        await until(
            "v1 rejected in payment-svc", lambda: _is(list_status(pay, v1["id"]), "rejected")
        )
        seen = (await pay.get(f"/v1/lists/{v1['id']}")).json()
        assert seen["rejected_reason"] == "invalid"
        packages = (await st.get(f"/v1/districts/{district}/packages")).json()["packages"]
        [shown] = [p for p in packages if p["id"] == str(first.package_id)]
        assert (shown["state"], shown["rejected_reason"], shown["rejected_detail"]) == (
            "rejected",
            "invalid",
            "Sai mã xã 00100",
        )

        v2 = await make_and_submit(pay, district, MONTH)
        assert v2["version"] == 2
        assert await list_status(pay, v1["id"]) == "superseded"
        second = await whole_package(player, v2["id"])
        sent = [o.list_id for o in player.log if o.kind == "manifest"]
        assert UUID(v1["id"]) in sent
        assert sent.index(UUID(v2["id"])) > max(
            i for i, x in enumerate(sent) if x == UUID(v1["id"])
        )
        await player.say(second.acceptance(), district)
        await until("v2 acknowledged", lambda: _is(list_status(pay, v2["id"]), "acknowledged"))

        # the post office asks for more days: within the rule recorded, beyond it refused
        settlement = await settlement_of(st, district, second.package_id)
        await player.say(
            ExtensionRequest(package_id=second.package_id, days=25, reason="Thiếu người chi"),
            district,
        )
        await player.say(
            ExtensionRequest(package_id=second.package_id, days=10, reason="Lũ, chưa chi xong"),
            district,
            copies=2,
        )
        await player.say(
            ExtensionRequest(package_id=first.package_id, days=5, reason="Gói cũ"), district
        )

        async def asked() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = (
                await st.get(f"/v1/settlements/{settlement['id']}")
            ).json()["extension_requests"]
            return found

        [request] = await until("the request shown", asked)
        assert (request["days"], request["reason"], request["answered_by"]) == (
            10,
            "Lũ, chưa chi xong",
            None,
        )
        refusals = (await st.get(f"/v1/districts/{district}/refusals")).json()["refusals"]
        reasons = {
            (r["package_id"], r["reason"])
            for r in refusals
            if r["message_type"] == "ExtensionRequest"
        }
        assert reasons == {(str(second.package_id), "extension_too_long")}

        # a request about a package that is no longer live is not the post office's to make:
        # it is quarantined (never applied), not merely refused
        # (said after the request shown above: waited for, not read at once)
        async def quarantined() -> set[tuple[str, str]]:
            held = (await st.get(f"/v1/districts/{district}/quarantine")).json()["quarantined"]
            return {
                (q["package_id"], q["reason"])
                for q in held
                if q["message_type"] == "ExtensionRequest"
            }

        assert await until("the old package's request held", quarantined) == {
            (str(first.package_id), "package_ended")
        }
        granted = await st.post(
            f"/v1/settlements/{settlement['id']}/extensions",
            json={"days": 7, "reason": "Bưu điện xin 10 ngày, đồng ý 7"},
        )
        assert granted.status_code == 200, granted.text
        [answered] = granted.json()["extension_requests"]
        assert (answered["answered_by"], answered["granted_days"]) == ("tester", 7)
        assert granted.json()["extended_days"] == 7


async def _is(value: Awaitable[Any], expected: Any) -> bool:
    return bool(await value == expected)


async def test_a_line_paid_by_hand_is_not_closed_unpaid_nor_carried_into_next_month(
    svc: Stack, player: PostOfficePlayer, producer: AIOKafkaProducer
) -> None:
    district = "032"
    await people(svc, producer, district, 5)
    officer = svc.token(district)
    boss = svc.token(district, role=Role.DISTRICT_SUPERVISOR)
    async with (
        httpx.AsyncClient(base_url=svc.urls["payment-svc"], headers=officer) as pay,
        httpx.AsyncClient(base_url=svc.urls["settlement-svc"], headers=officer) as st,
    ):
        for month in (MONTH, NEXT):
            assert (
                await pay.post(f"/v1/districts/{district}/periods", json={"month": month})
            ).status_code == 201
        made = await make_and_submit(pay, district, MONTH)
        held = await whole_package(player, made["id"])
        await player.say(held.acceptance(), district)
        await until("acknowledged", lambda: _is(list_status(pay, made["id"]), "acknowledged"))
        by_id = await lines_of(pay, made["id"])
        a, b, c, d, e = (by_id[f"{district}{i:09d}"] for i in range(5))
        # the post office's word: A paid, B not received; nothing (yet) for C and D
        await player.say(
            PaymentResults(
                package_id=held.package_id,
                version=held.version,
                part=0,
                parts=1,
                results=[
                    PersonResult(line_id=a["id"], status="paid", paid_on=date(2026, 11, 10)),
                    PersonResult(line_id=b["id"], status="unpaid"),
                ],
            ),
            district,
        )
        await until(
            "results in payment-svc", lambda: _is(list_status(pay, made["id"]), "results_received")
        )
        # the supervisor records C as paid by hand (the post office's paper list said so)
        by_hand = await pay.post(
            f"/v1/lists/{made['id']}/statuses",
            json={
                "exceptions": [
                    {"line_id": c["id"], "status": "paid", "paid_on": "2026-11-12"},
                    {"line_id": e["id"], "status": "paid", "paid_on": "2026-11-12"},
                ],
                "reason": "Bảng kê giấy của bưu điện",
            },
            headers=boss,
        )
        assert by_hand.status_code == 200, by_hand.text
        settlement = await settlement_of(st, district, held.package_id)

        async def hand_counted() -> bool:
            view = (await st.get(f"/v1/settlements/{settlement['id']}")).json()
            return bool(view["lines"].get("paid", {}).get("count") == 3)

        await until("the status by hand reached settlement-svc", hand_counted)
        # the post office then says E's money came back: recorded, raised, not passed on
        await player.say(
            PaymentResults(
                package_id=held.package_id,
                version=held.version,
                part=1,
                parts=2,
                results=[PersonResult(line_id=e["id"], status="returned")],
            ),
            district,
        )

        async def raised() -> list[dict[str, Any]]:
            found = (await st.get(f"/v1/districts/{district}/refusals")).json()["refusals"]
            return [r for r in found if r["reason"] == "result_disagrees_manual"]

        [against] = await until("the disagreement raised", raised)
        assert e["id"] in against["detail"]
        # the cut-off passes (moved in the database), the officer closes with the rest unpaid
        db = await asyncpg.connect(svc.dsns["settlement-svc"])
        try:
            await db.execute(
                "UPDATE settlement SET deadline = $2 WHERE id = $1",
                UUID(settlement["id"]),
                date.today() - timedelta(days=2),
            )
        finally:
            await db.close()
        closed = await st.post(
            f"/v1/settlements/{settlement['id']}/close", json={"rest_unpaid": True}
        )
        assert closed.status_code == 200, closed.text
        assert {k: v["count"] for k, v in closed.json()["lines"].items()} == {
            "paid": 2,
            "returned": 1,
            "unpaid": 2,
        }
        await until("settled in payment-svc", lambda: _is(list_status(pay, made["id"]), "settled"))
        after = await lines_of(pay, made["id"])
        statuses = {
            n: after[x["national_id"]]["status"]
            for n, x in zip("abcde", (a, b, c, d, e), strict=True)
        }
        assert statuses == {"a": "paid", "b": "unpaid", "c": "paid", "d": "unpaid", "e": "paid"}

        following = await pay.post(f"/v1/districts/{district}/periods/{NEXT}/lists", json={})
        assert following.status_code == 201, following.text
        carried = {
            n: line["carried_over"]
            for n, line in (await lines_of(pay, following.json()["id"])).items()
        }
    # B and D were not paid in November: their November money comes with December's; C was
    # paid by hand in November: nothing of November comes again
    assert carried == {
        a["national_id"]: 0,
        b["national_id"]: ALLOWANCE,
        c["national_id"]: 0,
        d["national_id"]: ALLOWANCE,
        e["national_id"]: 0,
    }
