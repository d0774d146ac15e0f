"""A new version held for a kept package's paid results (a recall refused): let go when they
come (``release_held``, from the results handler), or by a supervisor after the time-out
(``release``). What moves it is ``domain.lifecycle``'s table; ``packages.apply`` does it."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from btxh_common.logs import get_logger
from prometheus_client import Counter

from settlement_svc.adapters import packages as db
from settlement_svc.domain import lifecycle
from settlement_svc.domain.errors import PackageNotFound, PackageNotHeld
from settlement_svc.domain.lifecycle import Event, Move
from settlement_svc.domain.packages import Package, Policy
from settlement_svc.handlers.packages import apply, unpaid_rest_of

log = get_logger(__name__)
RELEASED_BY_OFFICER = Counter(
    "btxh_packages_released_by_officer_total",
    "Held versions an officer let go without the kept package's results",
)


async def release_held(conn: asyncpg.Connection, kept_id: UUID, policy: Policy) -> None:
    """A kept package's results came: the version held for them goes out, without the people
    now known paid, once they reach the count the refusal stated."""
    held = await db.held_for(conn, kept_id)
    if held is None or not lifecycle.results_in(*await db.paid_so_far(conn, kept_id)):
        return
    rest, _ = await unpaid_rest_of(conn, held)
    move = lifecycle.step(held.state, lifecycle.on_live_kept(rest))
    assert isinstance(move, Move), move
    await apply(conn, held, move, policy, "results_came")


async def release(
    conn: asyncpg.Connection,
    units: frozenset[str],
    package_id: UUID,
    policy: Policy,
    officer: str,
    reason: str,
) -> Package:
    """A supervisor lets a version held past the time-out go without the results owed (the
    reason kept): the people known paid are still left out."""
    district = await db.district_of(conn, package_id)
    if district is None or district not in units:
        raise PackageNotFound()
    package = await db.lock(conn, package_id)
    move = lifecycle.step(package.state, Event.OFFICER_RELEASE)
    if not isinstance(move, Move):
        raise PackageNotHeld(package.state)
    rest, _ = await unpaid_rest_of(conn, package)
    event = lifecycle.on_officer_release(rest)
    if event is not Event.OFFICER_RELEASE:  # everyone known paid: nothing to send
        move = lifecycle.step(package.state, event)
    await db.note_release(conn, package.id, officer, reason)
    RELEASED_BY_OFFICER.inc()
    assert isinstance(move, Move), move
    await apply(conn, package, move, policy, "officer_release")
    log.warning("package.released_by_officer", package_id=str(package_id), officer=officer)
    return await db.get(conn, package_id)
