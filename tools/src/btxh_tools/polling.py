"""Waiting for the services in cross-service tests: poll until a condition holds (events
settle), failing with what never happened — never a sleep as an assertion."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def until(
    what: str,
    check: Callable[[], Awaitable[Any]],
    timeout: float = 120,  # noqa: ASYNC109 - a polling deadline, not a call's timeout
    *,
    tolerate: tuple[type[BaseException], ...] = (),
) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``.
    Exceptions in ``tolerate`` (a service being restarted) count as "not yet"."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            if value := await check():
                return value
        except tolerate:
            pass
        await asyncio.sleep(0.25)
    raise AssertionError(f"never: {what}")
