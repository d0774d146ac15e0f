"""What every benchmark shares: the context, alternating rounds, and the report line."""

from __future__ import annotations

import resource
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

SEED = 20261124


@dataclass(frozen=True)
class BenchContext:
    server: str  # PostgreSQL server URL: create databases on it
    bootstrap: str  # Kafka bootstrap
    rows: int  # the size the flow is measured at (100k by default)
    rounds: int  # at least 3
    districts: tuple[int, ...] = (70, 200, 700)  # the national month's sizes, 5,000 lines each
    only_rows: tuple[str, ...] = ()  # run only the rows whose names start with one of these

    def wants(self, row: str) -> bool:
        return not self.only_rows or any(row.startswith(r) for r in self.only_rows)


def peak_rss_mb() -> float:
    """Peak RSS of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(name: str, system: list[float], floor: list[float], rss_mb: float | None = None) -> None:
    """One line: ``name system_s floor_s ratio peak_rss_mb`` (best of the rounds)."""
    s, f = min(system), min(floor) if floor else float("nan")
    rss = peak_rss_mb() if rss_mb is None else rss_mb
    print(f"{name:32} {s:9.2f} {f:9.2f} {s / f:7.2f} {rss:10.0f}", flush=True)


async def alternate(
    rounds: int, system: Callable[[], Awaitable[float]], floor: Callable[[], Awaitable[float]]
) -> tuple[list[float], list[float]]:
    """Run floor and system alternately ``rounds`` times; each returns its own seconds."""
    s_times, f_times = [], []
    for _ in range(rounds):
        f_times.append(await floor())
        s_times.append(await system())
    return s_times, f_times
