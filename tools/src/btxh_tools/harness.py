"""pytest fixtures for cross-service tests: the real services as real processes."""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen

import pytest
import pytest_asyncio
from btxh_common import topics
from btxh_common.auth import Role
from btxh_common.testing.infra import create_database, drop_database, free_port, wait_http_ok

from btxh_tools.stack import SERVICES, Service, launch
from btxh_tools.tokens import SigningKey, jwks, mint_token

# The tests' gateway key: services under test get only its public half, as in production.
TEST_KEY = SigningKey.generate("test-gateway")


@dataclass
class Stack:
    bootstrap: str
    log_dir: Path
    topic_prefix: str = ""
    urls: dict[str, str] = field(default_factory=dict)
    dsns: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Popen[bytes]] = field(default_factory=dict)
    env: dict[str, dict[str, str]] = field(default_factory=dict)

    def token(self, *units: str, role: Role = Role.DISTRICT_OFFICER) -> dict[str, str]:
        token = mint_token(TEST_KEY, officer_id="tester", role=role, units=list(units))
        return {"Authorization": f"Bearer {token}"}

    def topic(self, name: str) -> str:
        """This stack's name for topic ``name`` (a ``btxh_common.topics`` value)."""
        return self.topic_prefix + name.removeprefix(topics.PREFIX)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def start(self, name: str) -> None:
        port = int(self.urls[name].rsplit(":", 1)[1])
        log = self.log_dir / f"{name}.log"
        self.processes[name] = launch(
            service(name),
            self.dsns[name],
            self.bootstrap,
            port,
            log,
            BTXH_TOPIC_PREFIX=self.topic_prefix,
            **{
                "JWT_PUBLIC_KEYS": jwks(TEST_KEY),
                "JWT_PUBLIC_KEYS_FILE": "",
                # the embedded broker holds a group's first join for half of it: 2 s, not 5
                "KAFKA_SESSION_TIMEOUT_MS": "4000",
                **self.env.get(name, {}),
            },
        )

    def wait_ready(self, name: str, timeout: float = 90) -> None:
        wait_http_ok(self.urls[name] + "/readyz", timeout=timeout)

    def kill(self, name: str) -> None:
        """SIGKILL the service's process group: no shutdown code runs."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for p in self.processes.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes.values():
            p.wait(20)


def service(name: str) -> Service:
    return next(s for s in SERVICES if s.name == name)


@contextlib.asynccontextmanager
async def start_stack(
    pg_server: str,
    bootstrap: str,
    log_dir: Path,
    names: Sequence[str] | None = None,
    env: dict[str, dict[str, str]] | None = None,
) -> AsyncIterator[Stack]:
    """The named services (all by default) as processes on free ports, each on a fresh database;
    ``env`` adds environment variables per service (e.g. shorter timers for a test)."""
    prefix = f"s_{uuid.uuid4().hex[:8]}"
    # Each stack has its own topics: events of one test never reach another test's services.
    run = Stack(bootstrap=bootstrap, log_dir=log_dir, topic_prefix=f"{prefix}.", env=env or {})
    selected = [s for s in SERVICES if names is None or s.name in names]
    try:
        for svc in selected:
            run.dsns[svc.name] = await create_database(pg_server, f"{prefix}_{svc.database}")
            run.urls[svc.name] = f"http://127.0.0.1:{free_port()}"
            run.start(svc.name)
        for svc in selected:
            run.wait_ready(svc.name)
        yield run
    finally:
        run.stop_all()
        for svc in selected:
            await drop_database(pg_server, f"{prefix}_{svc.database}")


@pytest_asyncio.fixture
async def stack(pg_server: str, kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """All four services as processes on free ports, each on its own fresh database."""
    async with start_stack(pg_server, kafka_bootstrap, tmp_path) as run:
        yield run


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")
