"""``btxh-reconcile``: after a restore, what a producer and its consumers disagree about.

A producer's retained events are what its topic still holds; what the producer itself knows
it published is its ``outbox`` (and ``outbox_parked``), kept ``OUTBOX_KEEP_DAYS`` (7) days.
Each consumer's ``inbox`` says which events it applied. Per district, this lists:

- ``lost_by_producer``: on the topic but not in the producer's outbox — published, then lost
  from the producer (its database restored to before them), with the consumers that did
  apply them and, if the producer has since published the same kind of event about the same
  subject (e.g. it re-applied an import it re-read from the bus), that event
  (``remade_by``); the others are the changes to make again, or to undo downstream;
- ``not_on_topic``: in the producer's outbox as sent, but not on the topic;
- ``not_applied``: per consumer, on the topic, of a type that consumer applies (one it has
  applied or parked before), neither in its inbox nor among its dead letters: still to come
  (a consumer catching up) or missed.

Only events since ``--since`` (default: the outbox's retention) are compared: older ones may
have left the outbox by design. Exit status 1 when anything diverged, 0 when nothing did.

    btxh-reconcile --producer beneficiary-svc --producer-db postgresql://…/beneficiary \\
        --consumer import-svc=postgresql://…/imports --consumer payment-svc=postgresql://…
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from btxh_common import topics
from btxh_common.envelope import Envelope
from btxh_common.topic_read import read_events
from btxh_common.topics import SERVICE_TOPIC

OUTBOX_KEEP_DAYS = 7


@dataclass(frozen=True)
class Seen:
    """One event as the topic holds it."""

    event_id: str
    event_type: str
    district: str
    occurred_at: str
    subject: str | None
    partition: int
    offset: int


@dataclass
class Divergence:
    lost_by_producer: list[dict[str, Any]] = field(default_factory=list)
    not_on_topic: list[dict[str, Any]] = field(default_factory=list)
    not_applied: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.lost_by_producer or self.not_on_topic or any(self.not_applied.values()))


@dataclass(frozen=True)
class Consumer:
    name: str
    applied: frozenset[str]  # event ids in its inbox
    parked: frozenset[str]  # event ids among its dead letters
    types: frozenset[str]  # event types it applies


def subject(envelope: Envelope) -> str | None:
    """What the event is about: the beneficiary, list, batch or settlement it names."""
    payload = envelope.payload
    beneficiary = payload.get("beneficiary")
    if isinstance(beneficiary, dict) and beneficiary.get("id"):
        return str(beneficiary["id"])
    for key in ("batch_id", "list_id", "settlement_id", "package_id"):
        if payload.get(key):
            return str(payload[key])
    return envelope.correlation_id


async def read_topic(bootstrap: str, topic: str, since: datetime) -> list[Seen]:
    """Every readable event the topic holds from ``since`` on (a client in no group)."""
    held = await read_events(bootstrap, topic)
    return [
        _seen(h.envelope, h.partition, h.offset) for h in held if h.envelope.occurred_at >= since
    ]


def _seen(e: Envelope, partition: int, offset: int) -> Seen:
    return Seen(
        str(e.event_id),
        e.event_type,
        e.district_code,
        e.occurred_at.isoformat(),
        subject(e),
        partition,
        offset,
    )


async def producer_outbox(dsn: str, since: datetime) -> dict[str, tuple[str, str, bool]]:
    """event id → (type, district, sent) of what the producer knows it published."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            """SELECT event_id, event_type, key, sent_at IS NOT NULL AS sent FROM outbox
               WHERE created_at >= $1
               UNION ALL
               SELECT event_id, event_type, key, false FROM outbox_parked WHERE created_at >= $1""",
            since,
        )
    finally:
        await conn.close()
    return {str(r["event_id"]): (r["event_type"], r["key"], r["sent"]) for r in rows}


async def producer_put_back(dsn: str) -> frozenset[str]:
    """Ids of the events the producer lost with a restore and put back from its own topic
    (payment-svc's ``rebuilt_event``; empty for a producer that keeps no such table)."""
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT to_regclass('rebuilt_event')") is None:
            return frozenset()
        rows = await conn.fetch("SELECT event_id FROM rebuilt_event")
    finally:
        await conn.close()
    return frozenset(str(r["event_id"]) for r in rows)


async def consumer_of(name: str, dsn: str) -> Consumer:
    conn = await asyncpg.connect(dsn)
    try:
        inbox = await conn.fetch("SELECT event_id, event_type FROM inbox")
        parked = await conn.fetch(
            "SELECT event_id, event_type FROM dead_letter WHERE event_id IS NOT NULL"
        )
    finally:
        await conn.close()
    return Consumer(
        name,
        frozenset(str(r["event_id"]) for r in inbox),
        frozenset(str(r["event_id"]) for r in parked),
        frozenset(r["event_type"] for r in [*inbox, *parked]),
    )


def remade(lost: Seen, topic: Sequence[Seen], outbox: dict[str, Any]) -> str | None:
    """A later event the producer does hold, of the same type about the same subject."""
    later = [
        s.event_id
        for s in topic
        if s.event_id in outbox
        and (s.event_type, s.subject, s.partition)
        == (lost.event_type, lost.subject, lost.partition)
        and s.offset > lost.offset
    ]
    return later[-1] if later and lost.subject else None


def compare(
    topic: Sequence[Seen],
    outbox: dict[str, tuple[str, str, bool]],
    consumers: Sequence[Consumer],
    put_back: frozenset[str] = frozenset(),
) -> dict[str, Divergence]:
    """Per district, what diverged (only districts where something did). Events the producer
    lost with a restore and has put back from its own topic (``put_back``: payment-svc's
    ``rebuilt_event``) are not lost."""
    found: dict[str, Divergence] = defaultdict(Divergence)
    on_topic = {s.event_id for s in topic}
    for s in topic:
        entry = asdict(s)
        if s.event_id not in outbox and s.event_id not in put_back:
            applied_by = sorted(c.name for c in consumers if s.event_id in c.applied)
            lost = {**entry, "applied_by": applied_by, "remade_by": remade(s, topic, outbox)}
            found[s.district].lost_by_producer.append(lost)
        for c in consumers:
            if s.event_type in c.types and s.event_id not in c.applied | c.parked:
                found[s.district].not_applied.setdefault(c.name, []).append(entry)
    for event_id, (event_type, district, sent) in sorted(outbox.items()):
        if sent and event_id not in on_topic:
            found[district].not_on_topic.append({"event_id": event_id, "event_type": event_type})
    return {d: v for d, v in sorted(found.items()) if not v.empty()}


async def reconcile(
    producer: str,
    producer_db: str,
    consumers: dict[str, str],
    bootstrap: str,
    since: datetime,
    topic_prefix: str = "",
    district: str | None = None,
) -> dict[str, Any]:
    topic = topic_prefix + SERVICE_TOPIC[producer].removeprefix(topics.PREFIX)
    seen = await read_topic(bootstrap, topic, since)
    outbox = await producer_outbox(producer_db, since)
    put_back = await producer_put_back(producer_db)
    readers = [await consumer_of(name, dsn) for name, dsn in consumers.items()]
    mine = [s for s in seen if district in (None, s.district)]
    diverged = compare(mine, outbox, readers, put_back)
    return {
        "producer": producer,
        "topic": topic,
        "since": since.isoformat(),
        "events_on_topic": len(seen),
        "put_back_by_producer": sum(s.event_id in put_back for s in mine),
        "consumers": sorted(consumers),
        "districts": {d: asdict(v) for d, v in diverged.items()},
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"{report['producer']}: {report['events_on_topic']} events on {report['topic']} "
        f"since {report['since']}, compared with {', '.join(report['consumers']) or 'no consumer'}"
    ]
    if report["put_back_by_producer"]:
        lines.append(
            f"{report['put_back_by_producer']} lost with a restore and put back by "
            f"{report['producer']} from its topic (not divergences)"
        )
    if not report["districts"]:
        lines.append("nothing diverged")
    for district, d in report["districts"].items():
        lines.append(f"district {district}:")
        for e in d["lost_by_producer"]:
            lines.append(
                f"  lost by {report['producer']}: {e['event_type']} {e['subject']} "
                f"(event {e['event_id']}, {e['occurred_at']}, partition {e['partition']} offset "
                f"{e['offset']}), applied by {', '.join(e['applied_by']) or 'nobody'}"
                + (f"; made again as {e['remade_by']}" if e["remade_by"] else "")
            )
        for e in d["not_on_topic"]:
            lines.append(f"  sent but not on the topic: {e['event_type']} {e['event_id']}")
        for name, events in d["not_applied"].items():
            for e in events:
                lines.append(f"  not applied by {name}: {e['event_type']} {e['subject']}")
    return "\n".join(lines)


def _consumer(text: str) -> tuple[str, str]:
    name, sep, dsn = text.partition("=")
    if not sep or not name or not dsn:
        raise argparse.ArgumentTypeError(f"expected NAME=DSN, got {text!r}")
    return name, dsn


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="btxh-reconcile", description=__doc__.split("\n\n")[0])
    p.add_argument("--producer", required=True, choices=sorted(SERVICE_TOPIC))
    p.add_argument("--producer-db", required=True, help="the producer's database URL")
    p.add_argument("--consumer", action="append", type=_consumer, default=[], help="NAME=DSN")
    p.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    p.add_argument("--topic-prefix", default="", help="BTXH_TOPIC_PREFIX of the stack")
    p.add_argument("--district", help="only this district")
    p.add_argument("--since", type=datetime.fromisoformat, help="ISO time (default: 7 days)")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    since = args.since or datetime.now(UTC) - timedelta(days=OUTBOX_KEEP_DAYS)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    report = asyncio.run(
        reconcile(
            args.producer,
            args.producer_db,
            dict(args.consumer),
            args.bootstrap,
            since,
            args.topic_prefix,
            args.district,
        )
    )
    sys.stdout.write((json.dumps(report, indent=2) if args.json else render(report)) + "\n")
    return 1 if report["districts"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
