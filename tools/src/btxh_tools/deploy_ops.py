"""What ``make deploy-check`` asks of the operations side of ``deploy/`` (issue 21):

- backups: in an overlay that must have them (``prod``), every CloudNativePG ``Cluster``
  archives WAL and base backups to object storage with a retention, and has a
  ``ScheduledBackup``; every ``ScheduledBackup`` names a Cluster of the overlay that has a
  backup configuration;
- monitoring: in such an overlay every service's Service is selected by a ServiceMonitor;
- alerts: every ``PrometheusRule`` passes ``promtool check rules`` and its unit tests
  (``deploy/k8s/monitoring/rules-test.yaml``, ``promtool test rules``); every expression
  parses and reads only metrics the services export (the names their code registers with
  ``prometheus_client``, plus Prometheus's own ``up``); every alert has a ``runbook_url``
  whose section exists in deploy/README.md;
- dashboards: each file is what ``btxh_tools.dashboards`` builds, and reads only exported
  metrics.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import promql_parser
import yaml
from prometheus_client import REGISTRY

from btxh_tools import dashboards

ROOT = Path(__file__).resolve().parents[3]
MONITORING = ROOT / "deploy" / "k8s" / "monitoring"
README = ROOT / "deploy" / "README.md"
PACKAGES = {
    "import-svc": "import_svc",
    "beneficiary-svc": "beneficiary_svc",
    "payment-svc": "payment_svc",
    "settlement-svc": "settlement_svc",
}
NEEDS_BACKUPS = frozenset({"prod"})
PROMETHEUS_OWN = frozenset({"up"})  # what Prometheus records of every scrape itself

Doc = dict[str, Any]


def exported_metrics() -> frozenset[str]:
    """Every sample name the services can export: what their code registers (each service's
    app imported, as it is at start), with the suffixes prometheus_client adds."""
    for package in PACKAGES.values():
        importlib.import_module(f"{package}.app")
    names = REGISTRY._names_to_collectors  # the registry's own index of every sample name
    return frozenset(names) | PROMETHEUS_OWN


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (raises ValueError if it does not parse)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        name = getattr(node, "name", None)
        if type(node).__name__ == "VectorSelector" and name:
            found.add(name)
        for attr in ("lhs", "rhs", "expr", "param", "vector_selector"):
            child = getattr(node, attr, None)
            if child is not None:
                walk(child)
        for child in getattr(node, "args", None) or ():
            walk(child)

    walk(promql_parser.parse(expr))
    return found


def _of(docs: Iterable[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d.get("kind") == kind]


def _name(doc: Doc) -> str:
    return str(doc.get("metadata", {}).get("name", "?"))


def check_backups(overlay: str, docs: list[Doc]) -> list[str]:
    clusters = {_name(c): c for c in _of(docs, "Cluster")}
    scheduled = _of(docs, "ScheduledBackup")
    problems = []
    for s in scheduled:
        target = s["spec"]["cluster"]["name"]
        if target not in clusters:
            problems.append(f"ScheduledBackup/{_name(s)}: no Cluster {target}")
        elif "backup" not in clusters[target]["spec"]:
            problems.append(f"ScheduledBackup/{_name(s)}: Cluster {target} has no spec.backup")
    if overlay not in NEEDS_BACKUPS:
        return problems
    covered = {s["spec"]["cluster"]["name"] for s in scheduled}
    for name, cluster in clusters.items():
        backup = cluster["spec"].get("backup", {})
        store = backup.get("barmanObjectStore", {})
        if not store.get("destinationPath"):
            problems.append(f"Cluster/{name}: no WAL archive (spec.backup.barmanObjectStore)")
        if not backup.get("retentionPolicy"):
            problems.append(f"Cluster/{name}: no spec.backup.retentionPolicy")
        if name not in covered:
            problems.append(f"Cluster/{name}: no ScheduledBackup")
    return problems


def _selects(monitor: Doc, service: Doc) -> bool:
    wanted = monitor["spec"].get("selector", {}).get("matchLabels", {})
    labels = service.get("metadata", {}).get("labels", {})
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def check_monitors(overlay: str, docs: list[Doc]) -> list[str]:
    monitors = _of(docs, "ServiceMonitor")
    if overlay not in NEEDS_BACKUPS and not monitors:
        return []
    services = {_name(s): s for s in _of(docs, "Service")}
    return [
        f"Service/{name}: no ServiceMonitor selects it"
        for name in PACKAGES
        if name in services and not any(_selects(m, services[name]) for m in monitors)
    ]


def _anchors() -> set[str]:
    """GitHub's anchors of deploy/README.md's headings."""
    heads = re.findall(r"^#+\s+(.+)$", README.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def _rules(docs: list[Doc]) -> Iterator[tuple[str, Doc]]:
    for doc in _of(docs, "PrometheusRule"):
        for group in doc["spec"]["groups"]:
            for rule in group["rules"]:
                yield f"PrometheusRule/{_name(doc)}/{rule.get('alert') or rule.get('record')}", rule


def check_expressions(docs: list[Doc], known: frozenset[str]) -> list[str]:
    problems, anchors = [], _anchors()
    for where, rule in _rules(docs):
        try:
            unknown = metric_names(str(rule["expr"])) - known
        except ValueError as exc:
            problems.append(f"{where}: expr does not parse: {exc}")
            continue
        problems += [f"{where}: no service exports {name}" for name in sorted(unknown)]
        if "alert" in rule:
            url = rule.get("annotations", {}).get("runbook_url", "")
            if url.partition("#")[2] not in anchors:
                problems.append(f"{where}: runbook_url {url!r} names no section of {README.name}")
    return problems


def promtool(docs: list[Doc]) -> list[str]:
    """``promtool check rules`` on every PrometheusRule, then the rules' unit tests."""
    tool = shutil.which("promtool")
    if tool is None:
        return ["promtool is not installed (Debian package prometheus: tools/system-deps.sh)"]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for doc in _of(docs, "PrometheusRule"):
            path = Path(tmp) / f"{_name(doc)}.yaml"
            path.write_text(yaml.safe_dump(doc["spec"], sort_keys=False))
            problems += _run(f"PrometheusRule/{_name(doc)}", [tool, "check", "rules", str(path)])
        tests = MONITORING / "rules-test.yaml"
        if (Path(tmp) / "btxh.yaml").exists():
            shutil.copy(tests, Path(tmp) / tests.name)
            problems += _run(
                "rules-test.yaml", [tool, "test", "rules", str(Path(tmp) / tests.name)]
            )
    return problems


def _run(what: str, command: list[str]) -> list[str]:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode == 0:
        return []
    text = (done.stdout + done.stderr).strip().splitlines()
    return [f"{what}: {line}" for line in text if line.strip()]


def check_dashboards(known: frozenset[str]) -> list[str]:
    problems = []
    for service in dashboards.SERVICES:
        path = dashboards.FOLDER / f"{service}.json"
        where = str(path.relative_to(ROOT))
        if not path.exists() or path.read_text() != dashboards.render(service):
            problems.append(f"{where}: not what btxh_tools.dashboards builds (run it)")
            continue
        for expr in dashboards.expressions(path.read_text()):
            unknown = metric_names(expr) - known
            problems += [f"{where}: no service exports {name}" for name in sorted(unknown)]
    return problems


def check(overlay: str, docs: list[Doc], known: frozenset[str]) -> list[str]:
    problems = check_backups(overlay, docs) + check_monitors(overlay, docs)
    if _of(docs, "PrometheusRule"):
        problems += check_expressions(docs, known) + promtool(docs)
    return problems
