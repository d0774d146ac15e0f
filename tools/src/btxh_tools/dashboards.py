"""``python -m btxh_tools.dashboards``: one Grafana dashboard per service, written to
``deploy/k8s/monitoring/dashboards/<service>.json`` (the monitoring kustomization makes each a
ConfigMap Grafana's sidecar loads). This module is their source: ``make deploy-check`` fails
when a file differs from what it builds, or when a panel reads a metric no service exports.

Every dashboard has the same first rows (HTTP, the outbox, the consumers), then the
service's own panels; ``job`` is the service's name (its ServiceMonitor).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
FOLDER = ROOT / "deploy" / "k8s" / "monitoring" / "dashboards"
SERVICES = ("import-svc", "beneficiary-svc", "payment-svc", "settlement-svc")

Panel = tuple[str, str, str, str]  # title, expression, legend, unit

COMMON: tuple[Panel, ...] = (
    (
        "Answers by status",
        'sum by (status) (rate(btxh_http_requests_total{job="$job"}[5m]))',
        "{{status}}",
        "reqps",
    ),
    (
        "5xx share",
        'sum(rate(btxh_http_requests_total{job="$job",status=~"5.."}[5m]))'
        ' / sum(rate(btxh_http_requests_total{job="$job"}[5m]))',
        "5xx",
        "percentunit",
    ),
    ("Outbox: oldest unpublished", 'max(btxh_outbox_lag_seconds{job="$job"})', "age", "s"),
    ("Outbox: unpublished", 'max(btxh_outbox_pending{job="$job"})', "events", "short"),
    ("Outbox: parked", 'max(btxh_outbox_parked_rows{job="$job"})', "parked", "short"),
    (
        "Published per second",
        'sum by (topic) (rate(btxh_outbox_published_total{job="$job"}[5m]))',
        "{{topic}}",
        "ops",
    ),
    (
        "Consumer lag",
        'max by (consumer, topic) (btxh_consumer_lag_messages{job="$job"})',
        "{{consumer}} {{topic}}",
        "short",
    ),
    (
        "Dead letters",
        'max by (consumer) (btxh_dead_letter_rows{job="$job"})',
        "{{consumer}}",
        "short",
    ),
    (
        "Events applied per second",
        'sum by (event_type) (rate(btxh_inbox_applied_total{job="$job"}[5m]))',
        "{{event_type}}",
        "ops",
    ),
    (
        "Handler failures per second",
        'sum by (kind) (rate(btxh_inbox_handler_errors_total{job="$job"}[5m]))',
        "{{kind}}",
        "ops",
    ),
)

OWN: dict[str, tuple[Panel, ...]] = {
    "import-svc": (
        ("Files in parsing", 'max(btxh_import_parsing_batches{job="$job"})', "files", "short"),
        (
            "Oldest upload in parsing",
            'max(btxh_import_parsing_oldest_seconds{job="$job"})',
            "age",
            "s",
        ),
        (
            "Rows validated per second",
            'sum by (kind, status) (rate(btxh_import_rows_validated_total{job="$job"}[5m]))',
            "{{kind}} {{status}}",
            "ops",
        ),
    ),
    "beneficiary-svc": (),
    "payment-svc": (
        (
            "Lists waiting for their record",
            'max(btxh_lists_unrecorded{job="$job"})',
            "lists",
            "short",
        ),
        (
            "Oldest list waiting for its record",
            'max(btxh_lists_unrecorded_oldest_seconds{job="$job"})',
            "oldest",
            "s",
        ),
    ),
    "settlement-svc": (
        ("Packages in alert", 'max(btxh_packages_in_alert{job="$job"})', "packages", "short"),
        ("Settlements overdue", 'max(btxh_settlements_overdue{job="$job"})', "overdue", "short"),
        (
            "Quarantined (24 h)",
            'max(btxh_postoffice_quarantine_recent{job="$job"})',
            "messages",
            "short",
        ),
        (
            "Post office: refused and rejected",
            'sum by (reason) (increase(btxh_postoffice_refused_total{job="$job"}[1h]))'
            ' or sum by (reason) (increase(btxh_packages_rejected_total{job="$job"}[1h]))',
            "{{reason}}",
            "short",
        ),
        (
            "Packages resent",
            'sum by (reason) (increase(btxh_packages_resent_total{job="$job"}[1h]))',
            "{{reason}}",
            "short",
        ),
    ),
}


def panel(n: int, spec: Panel) -> dict[str, Any]:
    title, expr, legend, unit = spec
    return {
        "id": n + 1,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 8, "x": (n % 3) * 8, "y": (n // 3) * 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": "A", "expr": expr, "legendFormat": legend}],
    }


def dashboard(service: str) -> dict[str, Any]:
    panels = [panel(n, p) for n, p in enumerate(COMMON + OWN[service])]
    return {
        "uid": f"btxh-{service}",
        "title": f"BTXH {service}",
        "tags": ["btxh"],
        "timezone": "Asia/Ho_Chi_Minh",
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus"},
                {"name": "job", "type": "constant", "query": service, "hide": 2},
            ]
        },
        "panels": panels,
    }


def render(service: str) -> str:
    return json.dumps(dashboard(service), indent=2, ensure_ascii=False) + "\n"


def expressions(text: str) -> list[str]:
    """Every panel's query in a dashboard file."""
    return [t["expr"] for p in json.loads(text)["panels"] for t in p["targets"]]


def main() -> int:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        (FOLDER / f"{service}.json").write_text(render(service))
        print(f"{FOLDER.relative_to(ROOT)}/{service}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
