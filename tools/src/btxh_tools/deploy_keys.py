"""Offline checks of the token keys in ``deploy/`` (part of ``make deploy-check``).

- no pod is given a signing secret: no ``JWT_SECRET`` anywhere, no Secret named for a JWT;
- every JWKS in a ConfigMap parses as public Ed25519 keys (no private ``d``), the way a
  service reads it (``btxh_common.auth.parse_jwks``);
- every service container reads its public keys from a file that is mounted;
- the image does not install ``btxh-devtools`` (``btxh-token`` mints tokens).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from btxh_common.auth import KeyConfigError, parse_jwks

SERVICES = {"import-svc", "beneficiary-svc", "payment-svc", "settlement-svc"}
DEV_ONLY_PACKAGE = "btxh-devtools"


def _jwks_problems(doc: dict[str, Any]) -> list[str]:
    name = doc["metadata"]["name"]
    problems = []
    for key, value in (doc.get("data") or {}).items():
        if not key.endswith(".json") or '"keys"' not in value:
            continue
        try:
            parse_jwks(value, f"ConfigMap/{name} {key}")
        except KeyConfigError as exc:
            problems.append(str(exc))
    return problems


def _mounted_paths(pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    config_volumes = {v["name"] for v in pod.get("volumes", []) if "configMap" in v}
    return [
        m["mountPath"] for m in container.get("volumeMounts", []) if m["name"] in config_volumes
    ]


def _service_problems(doc: dict[str, Any], config: dict[str, str]) -> list[str]:
    name = doc["metadata"]["name"]
    pod = doc["spec"]["template"]["spec"]
    problems = []
    for container in pod.get("containers", []):
        env = {**config, **{e["name"]: e.get("value", "") for e in container.get("env", [])}}
        path = env.get("JWT_PUBLIC_KEYS_FILE", "")
        if not any(path.startswith(m.rstrip("/") + "/") for m in _mounted_paths(pod, container)):
            problems.append(f"Deployment/{name}: JWT_PUBLIC_KEYS_FILE {path!r} is not mounted")
        if env.get("BTXH_ENV") == "local":
            problems.append(f"Deployment/{name}: BTXH_ENV=local outside the laptop")
    return problems


def check_keys(docs: list[dict[str, Any]]) -> list[str]:
    """Problems with the token keys among one overlay's built resources."""
    problems = [
        f"{d['kind']}/{d['metadata']['name']}: a JWT secret in the cluster"
        for d in docs
        if "JWT_SECRET" in json.dumps(d)
        or (d["kind"] == "Secret" and "jwt" in d["metadata"]["name"])
    ]
    config: dict[str, str] = {}
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            problems += _jwks_problems(doc)
            if doc["metadata"]["name"].startswith("btxh-common"):
                config.update(doc.get("data") or {})
    for doc in docs:
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] in SERVICES:
            problems += _service_problems(doc, config)
    return problems


def check_image(dockerfile: Path) -> list[str]:
    """Every ``uv sync`` of the Dockerfile leaves the dev-only package out."""
    text = dockerfile.read_text().replace("\\\n", " ")
    syncs = re.findall(r"uv sync[^\n]*", text)
    if not syncs:
        return ["Dockerfile: no `uv sync` found"]
    return [
        f"Dockerfile: `{sync.strip()}` would install {DEV_ONLY_PACKAGE} (btxh-token)"
        for sync in syncs
        if f"--no-install-package {DEV_ONLY_PACKAGE}" not in sync
    ]
