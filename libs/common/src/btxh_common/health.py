"""``/healthz`` (alive), ``/readyz`` (database and broker reachable) and ``/metrics``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app


async def _database_ok(request: Request) -> bool:
    pool = getattr(request.app.state, "pool", None)
    if pool is None:
        return False
    try:
        async with asyncio.timeout(2):
            return bool(await pool.fetchval("SELECT 1") == 1)
    except Exception:  # any failure means not ready; the reason is not the caller's business
        return False


async def _broker_ok(request: Request) -> bool:
    broker = getattr(request.app.state, "broker", None)
    if broker is None:
        return False
    try:
        return bool(await broker.ping(timeout=2.0))
    except Exception:  # as above
        return False


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks = {"database": await _database_ok(request), "broker": await _broker_ok(request)}
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    return router


def mount_metrics(app: FastAPI) -> None:
    app.mount("/metrics", make_asgi_app())
