"""A service outside the local stack does not start without the gateway's public keys: it
exits at once naming the settings, before touching the database or the broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from btxh_tools.tokens import ensure_dev_keys

SERVICES = ["import_svc", "beneficiary_svc", "payment_svc", "settlement_svc"]


def start(module: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "BTXH_ENV"))}
    environment.update(
        BTXH_RUN_DIR=str(tmp_path),
        # Were the key check missing, start-up would fail here instead, differently.
        DATABASE_URL="postgresql://nobody@127.0.0.1:9/none",
        STARTUP_TIMEOUT_SECONDS="3",
        HTTP_PORT="0",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", module],
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "btxh_env"), [(m, None) for m in SERVICES] + [("payment_svc", "prod")]
)
def test_a_service_without_a_key_refuses_to_start(
    module: str, btxh_env: str | None, tmp_path: Path
) -> None:
    ensure_dev_keys(tmp_path / "keys")  # the local stack's dev keys are there, and not used
    done = start(module, tmp_path, **({"BTXH_ENV": btxh_env} if btxh_env else {}))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "refuses to start" in done.stderr
    assert "JWT_PUBLIC_KEYS_FILE" in done.stderr
    assert "JWT_PUBLIC_KEYS " in done.stderr


def test_a_service_given_a_private_key_refuses_to_start(tmp_path: Path) -> None:
    key = ensure_dev_keys(tmp_path / "keys")
    private = json.dumps({"keys": [key.private_jwk()]})
    done = start("payment_svc", tmp_path, JWT_PUBLIC_KEYS=private)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "is a private key" in done.stderr
