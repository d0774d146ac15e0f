"""``btxh-dead-letters``: look at a service's dead letters, replay them once the cause is fixed,
or discard one that can never be applied. Run where the service runs (its ``DATABASE_URL``
and settings: ``kubectl exec deploy/<service> -- python -m btxh_tools.dead_letters …``).

A replay goes through the very path a consumed message takes (the service's subscriptions,
the inbox, the handler in one transaction with the inbox row), from the bytes kept in
``dead_letter``: applied at most once (an event the inbox already holds is skipped), and the
row is deleted only once the inbox holds the event. An event failing again stays, with its
first reason; the service's log has the new one.

    btxh-dead-letters list payment-svc
    btxh-dead-letters replay payment-svc 12 13
    btxh-dead-letters discard payment-svc 14 --reason "garbage from a test producer"
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from btxh_common.db import create_pool
from btxh_common.opsmetrics import Subscribed
from btxh_common.service import ServiceState

PACKAGES = {
    "import-svc": "import_svc",
    "beneficiary-svc": "beneficiary_svc",
    "payment-svc": "payment_svc",
    "settlement-svc": "settlement_svc",
}
OnMessage = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class _Raw:
    """What the inbox reads of a consumed record."""

    topic: str
    partition: int
    offset: int
    value: bytes
    # none: the inbox reads the event's type from its body (a dead letter keeps no headers)
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class _Message:
    raw_message: _Raw

    async def ack(self) -> None:  # nothing to commit: the record is not read from Kafka
        return None


async def listing(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch(
        """SELECT id, consumer, topic, kafka_partition, kafka_offset, event_type, event_id,
                  received_at, error FROM dead_letter ORDER BY id"""
    )
    return [
        f"{r['id']}\t{r['consumer']}\t{r['topic']}[{r['kafka_partition']}]@{r['kafka_offset']}"
        f"\t{r['event_type'] or '-'}\t{r['event_id'] or '-'}\t{r['received_at']:%Y-%m-%dT%H:%MZ}"
        f"\t{r['error'][:300]}"
        for r in rows
    ]


async def replay_one(pool: asyncpg.Pool, groups: dict[str, OnMessage], row_id: int) -> str:
    row = await pool.fetchrow("SELECT * FROM dead_letter WHERE id = $1", row_id)
    if row is None:
        return "no such dead letter"
    handler = groups.get(row["consumer"])
    if handler is None or row["event_id"] is None:
        return "cannot be replayed (no envelope, or no consumer of that name): discard it"
    raw = _Raw(row["topic"], row["kafka_partition"], row["kafka_offset"], bytes(row["body"]))
    await handler(_Message(raw))
    held = await pool.fetchval(
        "SELECT true FROM inbox WHERE consumer = $1 AND event_id = $2",
        row["consumer"],
        row["event_id"],
    )
    if not held:
        return "failed again (see the service's log), kept"
    await pool.execute("DELETE FROM dead_letter WHERE id = $1", row_id)
    return "applied, removed from dead_letter"


async def run(args: argparse.Namespace) -> int:
    app = importlib.import_module(f"{PACKAGES[args.service]}.app")
    settings = app.settings
    pool = await create_pool(settings.database_url, 1, 2)
    try:
        if args.command == "list":
            print("\n".join(await listing(pool)) or "no dead letters")
            return 0
        if args.command == "discard":
            for row_id in args.ids:
                done = await pool.execute("DELETE FROM dead_letter WHERE id = $1", row_id)
                print(
                    f"{row_id}: {'discarded' if done.endswith(' 1') else 'no such dead letter'}"
                    f" ({args.reason})"
                )
            return 0
        capture = Subscribed()
        app.spec.subscriptions(cast(Any, capture), ServiceState(settings, pool=pool))
        failed = 0
        for row_id in args.ids:
            outcome = await replay_one(pool, capture.handlers, row_id)
            failed += not outcome.startswith("applied")
            print(f"{row_id}: {outcome}")
        return 1 if failed else 0
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="btxh-dead-letters", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "replay", "discard"):
        sub = commands.add_parser(name)
        sub.add_argument("service", choices=sorted(PACKAGES))
        if name != "list":
            sub.add_argument("ids", type=int, nargs="+")
        if name == "discard":
            sub.add_argument("--reason", required=True)
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
