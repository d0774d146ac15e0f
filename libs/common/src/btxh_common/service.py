"""Wiring shared by every service: settings → logging → migrations → pool → broker → relay.

A service supplies its name, migrations folder, HTTP routers and the subscriptions it makes;
this builds the FastAPI app whose lifespan owns all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import asyncpg
import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from faststream.kafka import KafkaBroker

from btxh_common.auth import KeyConfigError, TokenVerifier, load_verifier
from btxh_common.broker import KafkaAuth, ensure_topics, make_broker
from btxh_common.db import create_pool
from btxh_common.docs import mount_local_docs
from btxh_common.envelope import current_trace, new_event_id
from btxh_common.health import health_router, mount_metrics
from btxh_common.logs import configure_logging, get_logger
from btxh_common.migrate import COMMON_MIGRATIONS, migrate
from btxh_common.offsets import PositionTooOld, check_positions
from btxh_common.opsmetrics import HTTP_REQUESTS, StateGauge, StateMetrics, Subscribed, route_of
from btxh_common.outbox import OutboxRelay, Retention
from btxh_common.problems import install_problem_handlers
from btxh_common.settings import ServiceSettings
from btxh_common.topics import ALL_TOPICS

log = get_logger(__name__)

Subscriptions = Callable[[KafkaBroker, "ServiceState"], None]


@dataclass
class ServiceState:
    settings: ServiceSettings
    pool: asyncpg.Pool | None = None
    broker: KafkaBroker | None = None
    _verifier: TokenVerifier | None = None

    def db(self) -> asyncpg.Pool:
        assert self.pool is not None, "the pool exists once the app has started"
        return self.pool

    def verifier(self) -> TokenVerifier:
        """The token verifier over the configured public keys, loaded once (at start)."""
        if self._verifier is None:
            self._verifier = load_verifier(self.settings)
        return self._verifier


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    migrations: Path
    routers: Sequence[APIRouter] = ()
    subscriptions: Subscriptions | None = None
    extra_tasks: Sequence[Callable[[ServiceState], asyncio.Task[None]]] = field(default=())
    on_start: Callable[[ServiceState], Awaitable[None]] | None = None
    gauges: Sequence[StateGauge] = ()  # the service's own alert gauges (btxh_common.opsmetrics)


async def _retry_until(what: str, deadline: float, step: Callable[[], object]) -> None:
    delay = 0.5
    loop = asyncio.get_running_loop()
    while True:
        try:
            result = step()
            if asyncio.iscoroutine(result):
                await result
            return
        except Exception as exc:  # infrastructure may still be starting: retry until deadline
            if loop.time() > deadline:
                raise
            log.warning("service.waiting", what=what, error=repr(exc), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _topics(settings: ServiceSettings, deadline: float, auth: KafkaAuth) -> None:
    """Create missing topics (local stack, tests); in deploy/ Strimzi owns them."""
    if settings.kafka_ensure_topics:
        await _retry_until(
            "kafka",
            deadline,
            lambda: ensure_topics(
                settings.kafka_bootstrap_servers, ALL_TOPICS, settings.kafka_partitions, auth
            ),
        )


def _state_metrics(
    state: ServiceState, spec: ServiceSpec, groups: dict[str, set[str]]
) -> asyncio.Task[None]:
    """The loop that keeps the alert gauges up to date (``btxh_common.opsmetrics``)."""
    settings = state.settings
    metrics = StateMetrics(
        state.db,
        settings.kafka_bootstrap_servers,
        groups,
        settings.kafka_auth(),
        spec.gauges,
        settings.metrics_refresh_seconds,
    )
    return asyncio.create_task(metrics.run(), name="state-metrics")


async def _positions(state: ServiceState, deadline: float, auth: KafkaAuth) -> None:
    """Refuse to start if the database's position in a partition is older than what the
    topic still holds (a restore older than retention): it would skip events for good."""
    refused: list[PositionTooOld] = []

    async def look() -> None:
        try:
            await check_positions(state.db(), state.settings.kafka_bootstrap_servers, auth)
        except PositionTooOld as exc:  # an answer, not a failure to retry
            refused.append(exc)

    await _retry_until("kafka", deadline, look)
    if refused:
        log.error("service.position_too_old", reason=str(refused[0]))
        sys.stderr.write(f"{state.settings.service_name} refuses to start: {refused[0]}\n")
        raise refused[0]


def create_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    state = ServiceState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, settings.log_level, settings.log_json)
        # no public key, no start (KeyConfigError names the settings)
        log.info("auth.keys", kids=sorted(state.verifier().keys), env=settings.btxh_env or None)
        deadline = asyncio.get_running_loop().time() + settings.startup_timeout_seconds
        sources = {"common": COMMON_MIGRATIONS, spec.name: spec.migrations}
        await _retry_until("database", deadline, lambda: migrate(settings.database_url, sources))
        state.pool = await create_pool(
            settings.database_url, settings.db_pool_min, settings.db_pool_max
        )
        if spec.on_start is not None:
            await spec.on_start(state)
        auth = settings.kafka_auth()
        await _topics(settings, deadline, auth)
        await _positions(state, deadline, auth)
        broker = make_broker(settings.kafka_bootstrap_servers, spec.name, auth)
        subscribed = Subscribed(broker)
        if spec.subscriptions is not None:
            spec.subscriptions(cast(KafkaBroker, subscribed), state)
        state.broker = broker
        await _retry_until("kafka", deadline, broker.start)
        relay = OutboxRelay(
            settings.database_url,
            settings.kafka_bootstrap_servers,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            retention=Retention(settings.outbox_keep_days, settings.inbox_keep_days),
            auth=auth,
        )
        tasks = [asyncio.create_task(relay.run(), name="outbox-relay")]
        tasks.append(_state_metrics(state, spec, subscribed.groups))
        tasks += [make(state) for make in spec.extra_tasks]
        app.state.pool, app.state.broker, app.state.service = state.pool, broker, state
        log.info("service.started", port=settings.http_port)
        try:
            yield
        finally:
            relay.stop()
            for task in tasks[1:]:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await broker.stop()
            await state.pool.close()
            log.info("service.stopped")

    # /docs and /redoc from packaged assets: officers' networks reach no CDN
    app = FastAPI(title=spec.name, lifespan=lifespan, docs_url=None, redoc_url=None)
    mount_local_docs(app)
    app.state.service = state
    app.middleware("http")(_trace_requests)
    install_problem_handlers(app)
    app.include_router(health_router())
    mount_metrics(app)
    for router in spec.routers:
        app.include_router(router)
    return app


_TRACE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/metrics/"})  # probes, scrapes


async def _trace_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Every request runs under a trace id (the caller's ``X-Trace-Id`` or a new one) that
    its log lines and the events it causes carry, and that the answer echoes. This is the
    access log too: method, path and status, never the query string (it can hold an ID)."""
    given = request.headers.get("x-trace-id", "")
    trace = given if _TRACE_ID.match(given) else str(new_event_id())
    token = current_trace.set(trace)
    started = time.perf_counter()
    try:
        with structlog.contextvars.bound_contextvars(trace_id=trace):
            try:
                response = await call_next(request)
            except Exception:
                _count(request, 500)
                raise
            _count(request, response.status_code)
            if request.url.path not in _QUIET_PATHS:
                log.info(
                    "http.request",
                    method=request.method,
                    path=request.url.path,
                    status=response.status_code,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
    finally:
        current_trace.reset(token)
    response.headers["X-Trace-Id"] = trace
    return response


def _count(request: Request, status: int) -> None:
    if request.url.path not in _QUIET_PATHS:
        HTTP_REQUESTS.labels(request.method, route_of(request.scope), str(status)).inc()


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the app under uvicorn on the configured address (``python -m <service>``)."""
    import uvicorn

    state: ServiceState = app.state.service
    try:
        state.verifier()
    except KeyConfigError as exc:
        sys.stderr.write(f"{state.settings.service_name} refuses to start: {exc}\n")
        raise SystemExit(2) from exc
    # uvicorn's own access log would print the query string; ``_trace_requests`` logs instead.
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
    )
