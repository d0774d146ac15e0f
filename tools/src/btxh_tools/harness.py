"""pytest fixtures for cross-service tests: the real services as real processes."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen

import pytest_asyncio
from btxh_common.auth import Role, mint_token
from btxh_common.settings import ServiceSettings
from btxh_common.testing.infra import create_database, drop_database, free_port, wait_http_ok

from btxh_tools.stack import SERVICES, Service, launch


@dataclass
class Stack:
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Popen[bytes]] = field(default_factory=dict)
    log_dir: Path = Path()

    def token(self, *units: str, role: Role = Role.DISTRICT_OFFICER) -> dict[str, str]:
        token = mint_token(ServiceSettings(), officer_id="tester", role=role, units=list(units))
        return {"Authorization": f"Bearer {token}"}

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")


@pytest_asyncio.fixture
async def stack(pg_server: str, kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """All four services as processes on free ports, each on its own fresh database."""
    run = Stack(log_dir=tmp_path)
    prefix = f"s_{uuid.uuid4().hex[:8]}"
    databases: list[str] = []
    try:
        for svc in SERVICES:
            name = f"{prefix}_{svc.database}"
            dsn = await create_database(pg_server, name)
            databases.append(name)
            port = free_port()
            run.processes[svc.name] = launch(
                svc, dsn, kafka_bootstrap, port, tmp_path / f"{svc.name}.log"
            )
            run.urls[svc.name] = f"http://127.0.0.1:{port}"
        for url in run.urls.values():
            wait_http_ok(url + "/readyz", timeout=90)
        yield run
    finally:
        for p in run.processes.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in run.processes.values():
            p.wait(20)
        for name in databases:
            await drop_database(pg_server, name)


def service(name: str) -> Service:
    return next(s for s in SERVICES if s.name == name)
