"""FastAPI dependencies every service's routes share, declared once.

``Caller`` is the verified officer behind the request; ``Conn`` a pooled connection for
reads; ``Tx`` a connection inside a transaction that commits when the route returns and rolls
back when it raises — before the answer is sent, so a caller never reads before the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from btxh_common.auth import Principal
from btxh_common.problems import Unauthorized
from btxh_common.roles import Action, require
from btxh_common.service import ServiceState

_bearer = HTTPBearer(auto_error=False)


def service_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def pool_of(request: Request) -> asyncpg.Pool:
    return service_state(request).db()


async def current_caller(request: Request) -> Principal:
    """The verified caller, or 401."""
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    if credentials is None:
        raise Unauthorized()
    return service_state(request).verifier().verify(credentials.credentials)


def allowed(action: Action) -> Any:
    """``dependencies=[allowed(Action.X)]`` on a mutating route: the one role check.

    Answers 403 ``role_not_allowed`` unless the caller's role may do ``action``.
    """

    async def check(caller: Annotated[Principal, Depends(current_caller)]) -> None:
        require(caller.role, action)

    return Depends(check)


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with pool_of(request).acquire() as conn:
        yield conn


async def transaction(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with pool_of(request).acquire() as conn, conn.transaction():
        yield conn


def read_model_wait(request: Request) -> float:
    """How long a request with ``as_of`` waits for the read model (``readpos.reached``)."""
    return service_state(request).settings.read_model_wait_seconds


Caller = Annotated[Principal, Depends(current_caller)]
Pool = Annotated[asyncpg.Pool, Depends(pool_of)]
Conn = Annotated[asyncpg.Connection, Depends(connection, scope="function")]
Tx = Annotated[asyncpg.Connection, Depends(transaction, scope="function")]
ReadModelWait = Annotated[float, Depends(read_model_wait)]
