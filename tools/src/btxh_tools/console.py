"""The officer console (``btxh_gateway``) as a process in front of a test stack of services:
its own accounts file, the tests' signing key (the services hold its public half)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from btxh_common.auth import Role
from btxh_common.testing.infra import free_port, wait_http_ok

from btxh_tools.harness import TEST_KEY, Stack


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    name: str
    role: Role
    units: tuple[str, ...]


def write_accounts(path: Path, accounts: Sequence[Account]) -> Path:
    hasher = PasswordHasher(time_cost=1, memory_cost=8192)  # tests: fast hashes
    entries = [
        {
            "username": a.username,
            "name": a.name,
            "role": a.role.value,
            "units": list(a.units),
            "password_hash": hasher.hash(a.password),
        }
        for a in accounts
    ]
    path.write_text(json.dumps({"accounts": entries}, ensure_ascii=False))
    return path


@contextlib.contextmanager
def console(stack: Stack, accounts_file: Path, log: Path, **env: str) -> Iterator[str]:
    """The console on a free loopback port; yields its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "GATEWAY_PORT": str(port),
        "GATEWAY_ACCOUNTS_FILE": str(accounts_file),
        "GATEWAY_SIGNING_KEY": json.dumps(TEST_KEY.private_jwk()),
        "GATEWAY_SECURE_COOKIE": "false",
        "GATEWAY_IMPORT_URL": stack.urls["import-svc"],
        "GATEWAY_BENEFICIARY_URL": stack.urls["beneficiary-svc"],
        "GATEWAY_PAYMENT_URL": stack.urls["payment-svc"],
        "GATEWAY_SETTLEMENT_URL": stack.urls["settlement-svc"],
        **env,
    }
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "btxh_gateway"],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/dang-nhap", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
