"""The limit of restoring payment-svc (issue 21): what it made by its own command after the
backup — a list generated and submitted — is not rebuilt from the bus; ``btxh-reconcile``
names exactly those events, the list they are about, and who applied them downstream.

Why it is not rebuilt: the only trace of a generated list is its events, and they do not
carry the list as payment-svc holds it — PaymentListGenerated has no lines; the submitted
chunks carry only lines with money, without category, coefficient, arrears period, the
``carried_into`` links to last month's unpaid lines, or the list's level and creator; the
period's opening (its level, who opened it) is in no event at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from btxh_tools.harness import start_stack
from btxh_tools.polling import until

from tests.ops.test_restore import (
    D,
    all_sent,
    client,
    dump,
    fetchval,
    months,
    put_back,
    run,
    seeded,
    start,
)


async def test_a_list_made_after_the_dump_is_named_by_reconcile_not_rebuilt(
    pg_server: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    this, _ = months()
    period = f"{this:%Y-%m}"
    names = ["beneficiary-svc", "payment-svc", "settlement-svc"]
    async with start_stack(pg_server, kafka_bootstrap, tmp_path, names) as world:
        await seeded(world, {"payment-svc": "recipient"})
        async with client(world, "payment-svc") as pay:
            opened = await pay.post(f"/v1/districts/{D}/periods", json={"month": period})
            assert opened.status_code == 201, opened.text
            backup = tmp_path / "payment-svc.dump"
            await dump(world, "payment-svc", backup)

            # after the dump: the list made and submitted, settlement-svc applies it
            made = (await pay.post(f"/v1/districts/{D}/periods/{period}/lists", json={})).json()
            assert (await pay.post(f"/v1/lists/{made['id']}/submit")).status_code == 202
            await until("payment-svc published the list", lambda: all_sent(world, "payment-svc"))
            applied = "SELECT count(*) = 1 FROM inbox WHERE event_type = 'PaymentListSubmitted'"
            await until(
                "settlement-svc applied the list",
                lambda: fetchval(world.dsns["settlement-svc"], applied),
            )

            await put_back(world, pg_server, "payment-svc", backup)
            start(world, "payment-svc")
            assert (await pay.get(f"/v1/lists/{made['id']}")).status_code == 404
        code, out = await run(
            sys.executable, "-m", "btxh_tools.reconcile",
            "--producer", "payment-svc", "--producer-db", world.dsns["payment-svc"],
            "--consumer", f"settlement-svc={world.dsns['settlement-svc']}",
            "--bootstrap", world.bootstrap, "--topic-prefix", world.topic_prefix, "--json",
        )  # fmt: skip
    report = json.loads(out)
    assert code == 1
    assert list(report["districts"]) == [D]
    lost = report["districts"][D]["lost_by_producer"]
    assert {e["subject"] for e in lost} == {made["id"]}
    kinds = {e["event_type"] for e in lost}
    assert kinds == {"PaymentListGenerated", "PaymentListSubmitted", "PaymentListSubmitted.chunk"}
    submitted = [e for e in lost if e["event_type"] == "PaymentListSubmitted"]
    assert len(submitted) == 1
    assert submitted[0]["applied_by"] == ["settlement-svc"]
    assert all(e["remade_by"] is None for e in lost)
