"""A synchronous hand on the running services for the stateful property test
(``tests/property``): HTTP calls as an officer or a supervisor of one district, answers
reduced to (ok, body) or (refused, code), and a poll for payment-svc having learned a
beneficiary's latest version (events settle; no sleep is an assertion)."""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import openpyxl
from btxh_common.auth import Role
from openpyxl.utils import column_index_from_string

from btxh_tools.harness import Stack


@dataclass
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status < 300

    @property
    def code(self) -> str | None:
        """The refusal's stable code (None when accepted)."""
        if self.ok:
            return None
        return str(self.body.get("code")) if isinstance(self.body, dict) else str(self.status)


@dataclass
class Driver:
    """Calls into one stack; ``district`` changes per Hypothesis example."""

    stack: Stack
    district: str = ""
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    payments_db: asyncpg.Connection | None = None

    def client(self, service: str, role: Role = Role.DISTRICT_OFFICER) -> httpx.Client:
        key = f"{service}/{role}/{self.district}"
        if key not in self.clients:
            self.clients[key] = httpx.Client(
                base_url=self.stack.urls[service],
                headers=self.stack.token(self.district, role=role),
                timeout=60,
            )
        return self.clients[key]

    def call(
        self,
        service: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        role: Role = Role.DISTRICT_OFFICER,
        params: dict[str, Any] | None = None,
    ) -> Answer:
        r = self.client(service, role).request(method, path, json=body, params=params)
        try:
            payload = r.json()
        except ValueError:
            payload = None
        assert r.status_code < 500, f"{method} {path}: {r.status_code} {r.text}"
        return Answer(r.status_code, payload)

    def ben(self, method: str, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("beneficiary-svc", method, path, body, **kw)

    def pay(self, method: str, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("payment-svc", method, path, body, **kw)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def recipient_version(self, beneficiary_id: str) -> int | None:
        if self.payments_db is None:
            self.payments_db = self.run(asyncpg.connect(self.stack.dsns["payment-svc"]))
        db = self.payments_db
        value = self.run(
            db.fetchval(
                "SELECT version FROM recipient WHERE beneficiary_id = $1::uuid", beneficiary_id
            )
        )
        return None if value is None else int(value)

    def until_learned(self, versions: dict[str, int], timeout: float = 60) -> None:
        """Poll until payment-svc holds at least each beneficiary's given version."""
        deadline = time.monotonic() + timeout
        waiting = dict(versions)
        while waiting:
            waiting = {b: v for b, v in waiting.items() if (self.recipient_version(b) or 0) < v}
            if waiting and time.monotonic() > deadline:
                raise AssertionError(f"payment-svc never learned {waiting}")
            if waiting:
                time.sleep(0.05)

    def until_imported(self, people: list[str], timeout: float = 60) -> None:
        """Poll until import-svc knows every one of ``people`` (it checks imports against
        them)."""
        deadline = time.monotonic() + timeout

        async def known() -> int:
            db = await asyncpg.connect(self.stack.dsns["import-svc"])
            try:
                found: int = await db.fetchval(
                    "SELECT count(*) FROM identity WHERE beneficiary_id = ANY($1::uuid[])",
                    people,
                )
                return found
            finally:
                await db.close()

        while self.run(known()) < len(people):
            if time.monotonic() > deadline:
                raise AssertionError("import-svc never learned the people")
            time.sleep(0.05)

    def import_arrears(self, commune: str, arrears: dict[str, tuple[int, str]]) -> Answer:
        """The officer's 10C path: the commune's arrears template with data, the amount and
        payment month (``MM/YYYY``) filled for ``arrears`` (beneficiary → …), upload, confirm;
        the batch as it ends."""
        imp = self.client("import-svc")
        template = imp.get(
            "/v1/templates/arrears", params={"district": self.district, "commune": commune}
        )
        assert template.status_code == 200, template.text
        book = openpyxl.load_workbook(io.BytesIO(template.content))
        sheet = book["DuLieu"]
        cols = {
            k.removeprefix("btxh."): column_index_from_string(
                v.attr_text.split("!$")[1].split("$")[0]
            )
            for k, v in book.defined_names.items()
        }
        for row in range(2, sheet.max_row + 1):
            who = str(sheet.cell(row, cols["beneficiary_id"]).value)
            if who in arrears:
                amount, period = arrears[who]
                sheet.cell(row, cols["arrears_amount"]).value = amount
                sheet.cell(row, cols["arrears_period"]).value = period
        out = io.BytesIO()
        book.save(out)
        files = [("files", ("xa.xlsx", out.getvalue(), "application/octet-stream"))]
        sent = imp.post(
            "/v1/imports", data={"kind": "arrears", "district": self.district}, files=files
        )
        assert sent.status_code == 202, sent.text
        batch = sent.json()["batches"][0]["id"]
        self._batch_until(batch, ("awaiting_review", "failed"))
        confirmed = imp.post(f"/v1/imports/{batch}/confirm", json={})
        assert confirmed.status_code == 202, confirmed.text
        return Answer(200, self._batch_until(batch, ("applied", "partially_applied", "failed")))

    def _batch_until(self, batch: str, statuses: tuple[str, ...], timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            body = self.client("import-svc").get(f"/v1/imports/{batch}").json()
            if body["status"] in statuses:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"batch {batch} never {statuses}: {body}")
            time.sleep(0.1)

    def communes(self) -> list[tuple[str, str]]:
        """(district, a commune of it) for every district of the unit list."""

        async def read() -> list[asyncpg.Record]:
            db = await asyncpg.connect(self.stack.dsns["beneficiary-svc"])
            try:
                rows: list[asyncpg.Record] = await db.fetch(
                    """SELECT d.code, min(c.code) AS commune FROM admin_unit d
                       JOIN admin_unit c ON c.parent_code = d.code AND c.level = 'commune'
                       WHERE d.level = 'district' GROUP BY d.code ORDER BY d.code"""
                )
                return rows
            finally:
                await db.close()

        return [(r["code"], r["commune"]) for r in self.run(read())]

    def lines(self, list_id: str) -> list[dict[str, Any]]:
        answer = self.pay("GET", f"/v1/lists/{list_id}/lines", params={"size": 5000})
        assert answer.ok, answer.body
        return list(answer.body["lines"])

    def close(self) -> None:
        for c in self.clients.values():
            c.close()
        if self.payments_db is not None:
            self.run(self.payments_db.close())
        self.loop.close()
