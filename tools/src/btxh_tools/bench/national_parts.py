"""What the national month needs besides its flow: the register's read model for many
districts (seeded by COPY, not measured), and a watch on every process of the stack (peak RSS
and CPU seconds, sampled with psutil)."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import psutil

from btxh_tools.bench.common import SEED
from btxh_tools.bench.payments import COLUMNS, POLICY_COLUMNS

LINES_PER_DISTRICT = 5_000
COMMUNES_PER_DISTRICT = 10
SEED_BATCH = 20  # districts per COPY: 100k rows held in memory at once


def district_codes(count: int) -> list[str]:
    return [f"{d:03d}" for d in range(1, count + 1)]


def _people(district: str, month: date, rng: random.Random) -> list[tuple[Any, ...]]:
    """A district's 5,000 active beneficiaries over 10 communes; one in 50 with arrears due
    this month, one in 97 with a recovery; one in 20 on a second timeline period."""
    d = int(district)
    return [
        (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            district,
            f"{d * COMMUNES_PER_DISTRICT + i % COMMUNES_PER_DISTRICT:05d}",
            f"{d:03d}{i:09d}",
            f"Người {district}-{i}",
            "active",
            "NCT_80",
            rng.choice((10, 15, 20, 25)),
            date(2024, 1, 1),
            100_000 if i % 50 == 0 else 0,
            month if i % 50 == 0 else None,
            200_000 if i % 97 == 0 else 0,
            "cash",
            1,
        )
        for i in range(LINES_PER_DISTRICT)
    ]


def _timelines(people: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    adjusted = date(2025, 7, 1)
    rows: list[tuple[Any, ...]] = []
    for i, person in enumerate(people):
        beneficiary_id, category, coefficient, start = person[0], person[6], person[7], person[8]
        if i % 20:
            rows.append((beneficiary_id, start, None, "active", category, coefficient))
            continue
        rows.append((beneficiary_id, start, adjusted, "active", category, coefficient - 5))
        rows.append((beneficiary_id, adjusted, None, "active", category, coefficient))
    return rows


async def seed_register(dsn: str, districts: list[str], month: date) -> float:
    """COPY the districts' people and timelines straight into payment-svc's read model (the
    register's own import is measured by the import benches); returns the seconds taken."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    conn = await asyncpg.connect(dsn)
    try:
        for i in range(0, len(districts), SEED_BATCH):
            people = [p for d in districts[i : i + SEED_BATCH] for p in _people(d, month, rng)]
            await conn.copy_records_to_table("recipient", records=people, columns=COLUMNS)
            await conn.copy_records_to_table(
                "recipient_policy", records=_timelines(people), columns=POLICY_COLUMNS
            )
        await conn.execute("ANALYZE recipient")
        await conn.execute("ANALYZE recipient_policy")
    finally:
        await conn.close()
    return time.perf_counter() - started


@dataclass
class Watched:
    name: str
    process: Any  # psutil.Process
    peak_rss: int = 0
    cpu_start: float = 0.0
    cpu_end: float = 0.0

    def cpu(self) -> float:
        try:
            t = self.process.cpu_times()
        except psutil.Error:
            return self.cpu_end
        return float(t.user + t.system)


@dataclass
class Watch:
    """Peak RSS (sampled) and CPU seconds of each process of the stack over the measured part,
    PostgreSQL's backends serving the stack's databases summed as one, and how busy the whole
    machine was (it is shared: what others run shows there)."""

    watched: list[Watched] = field(default_factory=list)
    database_prefix: str = ""
    backends: dict[int, Watched] = field(default_factory=dict)
    others: set[tuple[int, float]] = field(default_factory=set)  # postgres, not the stack's
    machine_start: Any = None
    machine_end: Any = None

    @classmethod
    def of(cls, pids: dict[str, int], database_prefix: str) -> Watch:
        me = psutil.Process()
        found = {name: psutil.Process(pid) for name, pid in pids.items()}
        found["bench (driver + post-office sim)"] = me
        for child in me.children():  # the embedded broker is the bench's child
            if "python" not in child.name():
                found[f"broker ({child.name()})"] = child
        watch = cls([Watched(name, p) for name, p in found.items()], database_prefix)
        for w in watch.watched:
            w.cpu_start = w.cpu()
        watch.machine_start = psutil.cpu_times()
        watch.sample()
        return watch

    def sample(self) -> None:
        for w in self.watched:
            try:
                w.peak_rss = max(w.peak_rss, w.process.memory_info().rss)
            except psutil.Error:
                continue
        # Only a new postgres process's command line is read, once: reading every process's
        # on a shared machine every half second was a fifth of the bench process's CPU.
        for p in psutil.process_iter(["name"]):
            if p.pid in self.backends or p.info["name"] != "postgres":
                continue
            try:
                seen = (p.pid, p.create_time())
                if seen in self.others:
                    continue
                cmdline = " ".join(p.cmdline())
            except psutil.Error:
                continue
            if self.database_prefix in cmdline:
                backend = Watched(f"postgres {p.pid}", p)
                backend.cpu_start = backend.cpu_end = backend.cpu()
                self.backends[p.pid] = backend
            elif "(" in cmdline or "[local]" in cmdline:  # a client's backend, its database named
                self.others.add(seen)
        for b in self.backends.values():
            b.cpu_end = b.cpu()

    def stop(self) -> None:
        self.sample()
        for w in self.watched:
            w.cpu_end = w.cpu()
        self.machine_end = psutil.cpu_times()

    def lines(self) -> list[str]:
        found = [
            f"  {w.name:40} peak RSS {w.peak_rss / 2**20:8.0f} MB"
            f"   CPU {w.cpu_end - w.cpu_start:8.1f} s"
            for w in self.watched
        ]
        pg = sum(b.cpu_end - b.cpu_start for b in self.backends.values())
        found.append(
            f"  {'postgres (' + str(len(self.backends)) + ' backends of the stack)':40}"
            f" {'':22}   CPU {pg:8.1f} s"
        )
        start, end = self.machine_start, self.machine_end
        busy = sum(end) - end.idle - end.iowait - (sum(start) - start.idle - start.iowait)
        found.append(f"  {'machine (all processes, 2 cores)':40} {'':22}   CPU {busy:8.1f} s")
        return found

    def service_peak_mb(self) -> float:
        services = [w.peak_rss for w in self.watched if w.name.endswith("-svc")]
        return max(services, default=0) / 2**20
