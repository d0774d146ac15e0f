"""``make deploy-check``'s bus check: the KafkaUsers and ACLs in deploy/ must be exactly what
the code publishes and consumes. The base manifests pass; each breakage below fails it with
a message naming the user and the topic (no kubectl: the base files are read directly)."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from btxh_tools import bus_check

BASE = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "base"


def base_docs() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    return [
        doc
        for resource in kustomization["resources"]
        for doc in yaml.safe_load_all((BASE / resource).read_text())
        if doc
    ]


@pytest.fixture(scope="module")
def expected() -> dict[str, bus_check.Access]:
    return bus_check.expected_access()


@pytest.fixture
def docs() -> list[dict[str, Any]]:
    return copy.deepcopy(base_docs())


def one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def test_the_code_uses_the_bus_as_the_architecture_draws_it(expected: Any) -> None:
    # Written from ARCHITECTURE's diagram, not from the code under check.
    assert expected["payment-svc"] == bus_check.Access(
        writes=frozenset({"btxh.payment-svc.events"}),
        # its own events too: read back by assignment after a restore (issue 21)
        reads=frozenset(
            {"btxh.beneficiary-svc.events", "btxh.settlement-svc.events", "btxh.payment-svc.events"}
        ),
        groups=frozenset({"payment-svc"}),
    )
    assert expected["settlement-svc"].writes == {
        "btxh.settlement-svc.events",
        "postoffice.outbound",
    }
    assert expected["settlement-svc"].reads == {"btxh.payment-svc.events", "postoffice.inbound"}
    assert expected["postoffice"] == bus_check.Access(
        writes=frozenset({"postoffice.inbound"}),
        reads=frozenset({"postoffice.outbound"}),
        groups=frozenset({"postoffice"}),
    )
    assert set(expected) == {
        "import-svc",
        "beneficiary-svc",
        "payment-svc",
        "settlement-svc",
        "postoffice",
    }


def test_the_base_manifests_pass(docs: Any, expected: Any) -> None:
    assert bus_check.check(docs, expected) == []


def test_a_missing_read_acl_fails(docs: Any, expected: Any) -> None:
    acls = one(docs, "KafkaUser", "payment-svc")["spec"]["authorization"]["acls"]
    acls[:] = [a for a in acls if a["resource"]["name"] != "btxh.settlement-svc.events"]
    assert bus_check.check(docs, expected) == [
        "KafkaUser/payment-svc: may not read btxh.settlement-svc.events, but the code does"
    ]


def test_a_write_to_another_services_topic_fails(docs: Any, expected: Any) -> None:
    acls = one(docs, "KafkaUser", "postoffice")["spec"]["authorization"]["acls"]
    acls.append(
        {
            "resource": {"type": "topic", "name": "postoffice.outbound", "patternType": "literal"},
            "operations": ["Write"],
        }
    )
    assert bus_check.check(docs, expected) == [
        "KafkaUser/postoffice: may write postoffice.outbound, but the code never does"
    ]


def test_a_wildcard_or_a_foreign_group_fails(docs: Any, expected: Any) -> None:
    acls = one(docs, "KafkaUser", "import-svc")["spec"]["authorization"]["acls"]
    acls.append(
        {"resource": {"type": "group", "name": "payment-svc"}, "operations": ["Read"]},
    )
    acls.append(
        {
            "resource": {"type": "topic", "name": "btxh.", "patternType": "prefix"},
            "operations": ["Read"],
        }
    )
    problems = bus_check.check(docs, expected)
    assert "KafkaUser/import-svc: may use group payment-svc, but the code never does" in problems
    assert "KafkaUser/import-svc: topic 'btxh.' is a pattern, not one name" in problems


def test_a_new_subscription_without_its_acl_fails(docs: Any, expected: Any) -> None:
    # As if payment-svc subscribed to the import topic in its events.py.
    grown = dict(expected)
    grown["payment-svc"] = replace(
        expected["payment-svc"], reads=expected["payment-svc"].reads | {"btxh.import-svc.events"}
    )
    assert bus_check.check(docs, grown) == [
        "KafkaUser/payment-svc: may not read btxh.import-svc.events, but the code does"
    ]


def test_a_missing_user_and_an_unauthenticated_listener_fail(docs: Any, expected: Any) -> None:
    docs.remove(one(docs, "KafkaUser", "beneficiary-svc"))
    kafka = one(docs, "Kafka", "btxh-kafka")["spec"]["kafka"]
    kafka["listeners"].append({"name": "plain", "port": 9092, "type": "internal", "tls": False})
    del kafka["authorization"]
    problems = bus_check.check(docs, expected)
    assert "Kafka/btxh-kafka: listener plain has no authentication" in problems
    assert "Kafka/btxh-kafka: no authorization (ACLs are not enforced)" in problems
    assert "KafkaUser/beneficiary-svc: missing" in problems
    assert "Deployment/beneficiary-svc: no KafkaUser beneficiary-svc" in problems


def test_a_deployment_without_its_credentials_fails(docs: Any, expected: Any) -> None:
    container = one(docs, "Deployment", "settlement-svc")["spec"]["template"]["spec"]
    env = container["containers"][0]["env"]
    env[:] = [e for e in env if e["name"] != "KAFKA_SASL_PASSWORD"]
    sim = one(docs, "Deployment", "postoffice-sim")["spec"]["template"]["spec"]["containers"][0]
    for e in sim["env"]:
        if e["name"] == "KAFKA_SASL_USERNAME":
            e["value"] = "settlement-svc"  # the post office borrowing a service's identity
    assert bus_check.check(docs, expected) == [
        "Deployment/settlement-svc: KAFKA_SASL_PASSWORD is not from Secret settlement-svc",
        "Deployment/postoffice-sim: KAFKA_SASL_USERNAME is not postoffice",
    ]


def test_egress_beyond_database_kafka_and_dns_fails(docs: Any, expected: Any) -> None:
    policy = one(docs, "NetworkPolicy", "import-svc")["spec"]
    policy["egress"].append(
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    )
    # payment-svc's database rule pointed at another service's database
    payment = one(docs, "NetworkPolicy", "payment-svc")["spec"]["egress"][0]["to"][0]
    payment["podSelector"]["matchLabels"]["cnpg.io/cluster"] = "btxh-beneficiary"
    problems = bus_check.check(docs, expected)
    assert len(problems) == 2
    assert problems[0].startswith("NetworkPolicy/import-svc: egress to {'ipBlock'")
    assert problems[1].startswith("NetworkPolicy/payment-svc: egress to {'podSelector'")
    one(docs, "NetworkPolicy", "postoffice-sim")["spec"]["policyTypes"] = ["Ingress"]
    assert "Deployment/postoffice-sim: no egress NetworkPolicy (it may reach anything)" in (
        bus_check.check(docs, expected)
    )
