"""Read your writes at start-up (issue 19): a district is ready when every read model of the
register (payment-svc's recipients, import-svc's identities) has applied every change the
register has numbered so far — its ``read-position`` has reached beneficiary-svc's
``register-position``. ``btxh-stack up`` reports ready only then; tests use the same wait."""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

READ_MODELS = ("payment-svc", "import-svc")


class NotCaughtUp(RuntimeError):
    """A read model did not reach the register's position in time."""


def register_position(client: httpx.Client, url: str, district: str) -> int:
    answer = client.get(f"{url}/v1/districts/{district}/register-position")
    answer.raise_for_status()
    return int(answer.json()["position"])


def read_position(client: httpx.Client, url: str, district: str) -> int:
    answer = client.get(f"{url}/v1/districts/{district}/read-position")
    answer.raise_for_status()
    return int(answer.json()["position"])


def wait_caught_up(
    urls: Mapping[str, str],
    headers: Mapping[str, str],
    district: str,
    timeout: float = 300.0,
) -> dict[str, int]:
    """Wait until each read model in ``urls`` has reached the register's current position for
    ``district``; returns every position (the register's under ``beneficiary-svc``)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(headers=dict(headers), timeout=10) as client:
        target = register_position(client, urls["beneficiary-svc"], district)
        reached = {"beneficiary-svc": target}
        for name in (n for n in READ_MODELS if n in urls):
            while (position := read_position(client, urls[name], district)) < target:
                if time.monotonic() > deadline:
                    raise NotCaughtUp(
                        f"{name} has applied the register of {district} up to {position}, "
                        f"not {target}, after {timeout:.0f} s"
                    )
                time.sleep(0.2)
            reached[name] = position
    return reached
