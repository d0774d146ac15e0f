"""``make deploy-check``'s operations checks (``btxh_tools.deploy_ops``): the prod overlay as
built passes; each breakage below fails it with a message naming what is wrong. Needs
kubectl (to build the overlay) and promtool (tools/system-deps.sh), no PostgreSQL or Kafka."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from btxh_tools import deploy_check, deploy_ops, vendor_crds

PROD = deploy_check.DEPLOY / "k8s" / "overlays" / "prod"
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def built() -> list[Doc]:
    return deploy_check.build(PROD)


@pytest.fixture(scope="module")
def known() -> frozenset[str]:
    return deploy_ops.exported_metrics()


@pytest.fixture
def docs(built: list[Doc]) -> list[Doc]:
    return copy.deepcopy(built)


def one(docs: list[Doc], kind: str, name: str) -> Doc:
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def rule(docs: list[Doc], alert: str) -> Doc:
    rules = one(docs, "PrometheusRule", "btxh")["spec"]["groups"]
    [found] = [r for g in rules for r in g["rules"] if r.get("alert") == alert]
    return found


def test_the_prod_overlay_passes(docs: list[Doc], known: frozenset[str]) -> None:
    assert deploy_ops.check("prod", docs, known) == []
    assert [p for d in docs for p in deploy_check.validate(d)] == []
    assert deploy_ops.check_dashboards(known) == []


def test_every_alert_reads_metrics_the_services_register(known: frozenset[str]) -> None:
    for name in (
        "btxh_outbox_parked_rows",
        "btxh_consumer_lag_messages",
        "btxh_dead_letter_rows",
        "btxh_http_requests_total",
        "btxh_packages_in_alert",
        "btxh_settlements_overdue",
        "btxh_import_parsing_oldest_seconds",
        "btxh_lists_unrecorded_oldest_seconds",
        "btxh_postoffice_quarantine_recent",
    ):
        assert name in known
    assert "btxh_no_such_metric" not in known


def test_metric_names_are_found_anywhere_in_an_expression() -> None:
    expr = 'sum by (job) (rate(a_total{s=~"5.."}[5m])) / on(job) max(b) > bool -c or vector(1)'
    assert deploy_ops.metric_names(expr) == {"a_total", "b", "c"}
    with pytest.raises(ValueError, match=r"\S"):
        deploy_ops.metric_names("sum(rate(a[5m])")


def test_a_cluster_without_archive_or_scheduled_backup_fails(
    docs: list[Doc], known: frozenset[str]
) -> None:
    del one(docs, "Cluster", "btxh-payment")["spec"]["backup"]
    docs.remove(one(docs, "ScheduledBackup", "btxh-import-nightly"))
    problems = deploy_ops.check("prod", docs, known)
    assert "Cluster/btxh-payment: no WAL archive (spec.backup.barmanObjectStore)" in problems
    assert "Cluster/btxh-payment: no spec.backup.retentionPolicy" in problems
    assert "ScheduledBackup/btxh-payment-nightly: Cluster btxh-payment has no spec.backup" in (
        problems
    )
    assert "Cluster/btxh-import: no ScheduledBackup" in problems


def test_a_scheduled_backup_of_no_cluster_fails(docs: list[Doc], known: frozenset[str]) -> None:
    one(docs, "ScheduledBackup", "btxh-import-nightly")["spec"]["cluster"]["name"] = "btxh-imprt"
    problems = deploy_ops.check("prod", docs, known)
    assert "ScheduledBackup/btxh-import-nightly: no Cluster btxh-imprt" in problems


def test_a_typo_in_a_backup_or_monitor_fails_its_vendored_schema(docs: list[Doc]) -> None:
    one(docs, "ScheduledBackup", "btxh-payment-nightly")["spec"]["imediate"] = True
    one(docs, "ServiceMonitor", "payment-svc")["spec"]["endpoints"][0]["intervall"] = "30s"
    one(docs, "Cluster", "btxh-payment")["spec"]["backup"]["retentionPolicy"] = "30 days"
    problems = [p for d in docs for p in deploy_check.validate(d)]
    assert any("ScheduledBackup/btxh-payment-nightly" in p and "imediate" in p for p in problems)
    assert any("ServiceMonitor/payment-svc" in p and "intervall" in p for p in problems)
    assert any("Cluster/btxh-payment: spec/backup/retentionPolicy" in p for p in problems)


def test_a_service_nobody_scrapes_fails(docs: list[Doc], known: frozenset[str]) -> None:
    docs.remove(one(docs, "ServiceMonitor", "settlement-svc"))
    problems = deploy_ops.check("prod", docs, known)
    assert "Service/settlement-svc: no ServiceMonitor selects it" in problems


def test_an_alert_on_a_metric_nobody_exports_fails(docs: list[Doc], known: frozenset[str]) -> None:
    rule(docs, "BtxhDeadLetters")["expr"] = "max by (job) (btxh_dead_letters) > 0"
    rule(docs, "BtxhServerErrors")["expr"] = "sum(rate(btxh_http_requests_total[5m]) > 0"
    rule(docs, "BtxhOutboxParked")["annotations"]["runbook_url"] = "deploy/README.md#nowhere"
    problems = deploy_ops.check_expressions(docs, known)
    assert "PrometheusRule/btxh/BtxhDeadLetters: no service exports btxh_dead_letters" in problems
    assert any(
        p.startswith("PrometheusRule/btxh/BtxhServerErrors: expr does not parse") for p in problems
    )
    assert any("BtxhOutboxParked: runbook_url 'deploy/README.md#nowhere'" in p for p in problems)


def test_promtool_runs_the_rules_unit_tests(docs: list[Doc]) -> None:
    rule(docs, "BtxhOutboxParked")["expr"] = "max by (job) (btxh_outbox_parked_rows) > 5"
    problems = deploy_ops.promtool(docs)
    assert any("alertname: BtxhOutboxParked" in p for p in problems), problems


def test_a_vendored_crd_is_made_strict_where_it_lists_its_fields() -> None:
    crd_schema = {
        "type": "object",
        "properties": {
            "port": {"x-kubernetes-int-or-string": True},
            "note": {"type": "string", "nullable": True},
            "free": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"a": {"type": "string"}},
            },
            "map": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    out = vendor_crds.strict(crd_schema)
    assert out["additionalProperties"] is False
    assert out["properties"]["port"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert out["properties"]["note"]["type"] == ["string", "null"]
    assert "additionalProperties" not in out["properties"]["free"]
    assert out["properties"]["map"]["additionalProperties"] == {"type": "string"}
