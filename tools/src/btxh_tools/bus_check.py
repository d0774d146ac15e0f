"""The bus in ``deploy/`` against the bus the code uses (part of ``make deploy-check``).

What each client may do is computed from the code, never written down twice:

- what a service **consumes** (topics and consumer groups): its ``ServiceSpec.subscriptions``
  run against a recorder that stands in for the FastStream broker;
- what a service **publishes**: the topic constants of ``btxh_common.topics`` its modules
  name outside ``events.py`` (the topics it enqueues to);
- the post office: the defaults of ``btxh_tools.postoffice_sim.PostOffice`` (it reads
  ``postoffice.outbound`` as its group and writes ``postoffice.inbound``).

Against that, in each built overlay: every client has a ``KafkaUser`` whose ACLs are exactly
that (a new subscription without its ACL fails, and so does an ACL nobody needs); every Kafka
listener requires authentication and the cluster authorizes; every Deployment connects as its
own user with the password from the Secret Strimzi creates and the cluster CA mounted; and
every Deployment's egress is limited to its database, the Kafka brokers and DNS.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from btxh_common import topics

SERVICES: Mapping[str, str] = {
    "import-svc": "import_svc",
    "beneficiary-svc": "beneficiary_svc",
    "payment-svc": "payment_svc",
    "settlement-svc": "settlement_svc",
}
POSTOFFICE_USER = "postoffice"
# A Deployment connects as the KafkaUser of its own name, except:
DEPLOYMENT_USER: Mapping[str, str] = {"postoffice-sim": POSTOFFICE_USER}
AUTH_TYPES = frozenset({"scram-sha-512", "tls"})
TOPIC_OPS = {"Write": "writes", "Read": "reads"}
DNS_PORT, POSTGRES_PORT = 53, 5432

Doc = dict[str, Any]


@dataclass(frozen=True)
class Access:
    """What one client of the bus does: topics written and read, consumer groups used."""

    writes: frozenset[str] = frozenset()
    reads: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


def _bare(topic: str) -> str:
    return topic.removeprefix(topics.PREFIX)


def consumed(package: str) -> tuple[frozenset[str], frozenset[str]]:
    """(topics, groups) the service subscribes to, by running its subscriptions."""
    from btxh_common.opsmetrics import Subscribed
    from btxh_common.service import ServiceState

    app = importlib.import_module(f"{package}.app")
    spec = app.spec
    recorder = Subscribed()
    if spec.subscriptions is not None:
        # The subscriptions only bind handlers; a stand-in pool is never touched.
        spec.subscriptions(
            cast(Any, recorder), ServiceState(app.settings, pool=cast(Any, object()))
        )
    return frozenset(_bare(t) for t in recorder.topics), frozenset(recorder.groups)


def _topic_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "btxh_common.topics":
            names.update(alias.name for alias in node.names)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "topics"
        ):
            names.add(node.attr)
    return names


def published(package: str) -> frozenset[str]:
    """The topics the service's modules (except its subscriptions) name: where it writes."""
    root = Path(cast(str, importlib.import_module(package).__file__)).parent
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        if path.name == "events.py" and path.parent == root:
            continue
        for name in _topic_names(ast.parse(path.read_text(encoding="utf-8"))):
            value = getattr(topics, name, None)
            if isinstance(value, str) and value in topics.ALL_TOPICS:
                found.add(_bare(value))
    return frozenset(found)


def postoffice_access() -> Access:
    from btxh_tools.postoffice_sim import PostOffice

    defaults = {
        name: p.default for name, p in inspect.signature(PostOffice.__init__).parameters.items()
    }
    return Access(
        writes=frozenset({_bare(defaults["inbound"])}),
        reads=frozenset({_bare(defaults["outbound"])}),
        groups=frozenset({defaults["group"]}),
    )


def expected_access() -> dict[str, Access]:
    """Every client of the bus and what it does, from the code."""
    wanted: dict[str, Access] = {}
    for service, package in SERVICES.items():
        reads, groups = consumed(package)
        # read by assignment, outside the subscriptions (payment-svc's rebuild after a restore)
        assigned = getattr(importlib.import_module(package), "ASSIGNED_READS", ())
        reads = reads | {_bare(t) for t in assigned}
        wanted[service] = Access(published(package), reads, groups)
    wanted[POSTOFFICE_USER] = postoffice_access()
    return wanted


# --------------------------------------------------------------------- the manifests


def _of(docs: Iterable[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


def granted(user: Doc) -> tuple[Access, list[str]]:
    """What a KafkaUser's ACLs allow, and what in them no client should have."""
    name = user["metadata"]["name"]
    got: dict[str, set[str]] = {"writes": set(), "reads": set(), "groups": set()}
    odd: list[str] = []
    authz = user.get("spec", {}).get("authorization") or {}
    if authz.get("type") != "simple":
        odd.append(f"KafkaUser/{name}: no simple authorization (ACLs)")
    for acl in authz.get("acls", []):
        if acl.get("type", "allow") != "allow":
            continue
        resource = acl.get("resource", {})
        kind, target = resource.get("type"), resource.get("name", "")
        ops = set(acl.get("operations") or [acl.get("operation")])
        if resource.get("patternType", "literal") != "literal" or target == "*":
            odd.append(f"KafkaUser/{name}: {kind} {target!r} is a pattern, not one name")
        if kind == "topic":
            for op in ops - {"Describe"}:
                if op in TOPIC_OPS:
                    got[TOPIC_OPS[op]].add(target)
                else:
                    odd.append(f"KafkaUser/{name}: {op} on topic {target} is not needed")
        elif kind == "group" and ops <= {"Read", "Describe"}:
            got["groups"].add(target)
        else:
            odd.append(f"KafkaUser/{name}: {sorted(ops)} on {kind} {target} is not needed")
    return Access(*(frozenset(got[k]) for k in ("writes", "reads", "groups"))), odd


def _compare(user: str, want: Access, have: Access) -> list[str]:
    problems = []
    for what, verb in (("writes", "write"), ("reads", "read"), ("groups", "use group")):
        need, allowed = getattr(want, what), getattr(have, what)
        for t in sorted(need - allowed):
            problems.append(f"KafkaUser/{user}: may not {verb} {t}, but the code does")
        for t in sorted(allowed - need):
            problems.append(f"KafkaUser/{user}: may {verb} {t}, but the code never does")
    return problems


def check_users(docs: list[Doc], expected: Mapping[str, Access]) -> list[str]:
    users = _of(docs, "KafkaUser")
    problems = [f"KafkaUser/{u}: missing" for u in sorted(set(expected) - set(users))]
    problems += [
        f"KafkaUser/{u}: no client in the code uses it" for u in sorted(set(users) - set(expected))
    ]
    for name in sorted(set(users) & set(expected)):
        auth = users[name].get("spec", {}).get("authentication", {}).get("type")
        if auth not in AUTH_TYPES:
            problems.append(f"KafkaUser/{name}: authentication {auth!r} is not scram/tls")
        have, odd = granted(users[name])
        problems += odd + _compare(name, expected[name], have)
    return problems


def check_listeners(docs: list[Doc]) -> list[str]:
    clusters = _of(docs, "Kafka")
    if not clusters:
        return ["Kafka: no cluster"]
    problems = []
    for name, kafka in clusters.items():
        spec = kafka["spec"]["kafka"]
        for listener in spec.get("listeners", []):
            auth = (listener.get("authentication") or {}).get("type")
            if auth not in AUTH_TYPES:
                problems.append(f"Kafka/{name}: listener {listener['name']} has no authentication")
            elif auth == "scram-sha-512" and not listener.get("tls"):
                problems.append(f"Kafka/{name}: listener {listener['name']}: SCRAM without TLS")
        if (spec.get("authorization") or {}).get("type") != "simple":
            problems.append(f"Kafka/{name}: no authorization (ACLs are not enforced)")
    return problems


def _env(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


def check_credentials(docs: list[Doc]) -> list[str]:
    """Every Deployment's containers connect as its own KafkaUser, over TLS with the CA."""
    users = _of(docs, "KafkaUser")
    clusters = list(_of(docs, "Kafka"))
    ca_secrets = {f"{c}-cluster-ca-cert" for c in clusters}
    problems = []
    for name, deployment in _of(docs, "Deployment").items():
        user = DEPLOYMENT_USER.get(name, name)
        where = f"Deployment/{name}"
        if user not in users:
            problems.append(f"{where}: no KafkaUser {user}")
        pod = deployment["spec"]["template"]["spec"]
        ca_volumes = {
            v["name"]
            for v in pod.get("volumes", [])
            if v.get("secret", {}).get("secretName") in ca_secrets
        }
        for container in pod.get("containers", []):
            env = _env(container)
            if env.get("KAFKA_SASL_USERNAME", {}).get("value") != user:
                problems.append(f"{where}: KAFKA_SASL_USERNAME is not {user}")
            ref = env.get("KAFKA_SASL_PASSWORD", {}).get("valueFrom", {}).get("secretKeyRef", {})
            if ref != {"name": user, "key": "password"}:
                problems.append(f"{where}: KAFKA_SASL_PASSWORD is not from Secret {user}")
            if not any(m["name"] in ca_volumes for m in container.get("volumeMounts", [])):
                problems.append(f"{where}: the Kafka cluster CA is not mounted")
    return problems


def _selects(policy: Doc, labels: Mapping[str, str]) -> bool:
    match = policy["spec"].get("podSelector", {}).get("matchLabels", {})
    return all(labels.get(k) == v for k, v in match.items())


def _allowed_peer(peer: Doc, port: int, db: str | None, kafka: set[str]) -> bool:
    labels = peer.get("podSelector", {}).get("matchLabels", {})
    if "ipBlock" in peer or not labels:
        return False
    if port == POSTGRES_PORT:
        return db is not None and labels.get("cnpg.io/cluster") == db
    if port == DNS_PORT:
        ns = peer.get("namespaceSelector", {}).get("matchLabels", {})
        return labels.get("k8s-app") == "kube-dns" and bool(ns)
    return labels.get("strimzi.io/cluster") in kafka and labels.get("strimzi.io/kind") == "Kafka"


def _database(pod: Doc) -> str | None:
    for c in pod.get("containers", []):
        ref = _env(c).get("DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
        if ref.get("name", "").endswith("-app"):
            return str(ref["name"]).removesuffix("-app")
    return None


def check_egress(docs: list[Doc]) -> list[str]:
    """Each Deployment may reach only its own database, the Kafka brokers and DNS."""
    policies = list(_of(docs, "NetworkPolicy").values())
    kafka = set(_of(docs, "Kafka"))
    problems = []
    for name, deployment in _of(docs, "Deployment").items():
        pod = deployment["spec"]["template"]
        mine = [p for p in policies if _selects(p, pod["metadata"].get("labels", {}))]
        egress = [p for p in mine if "Egress" in p["spec"].get("policyTypes", [])]
        if not egress:
            problems.append(f"Deployment/{name}: no egress NetworkPolicy (it may reach anything)")
        db = _database(pod["spec"])
        for policy in egress:
            for rule in policy["spec"].get("egress", []):
                ports = [p.get("port") for p in rule.get("ports", [])]
                peers = rule.get("to", [])
                if not peers or not ports:
                    problems.append(f"NetworkPolicy/{policy['metadata']['name']}: open egress")
                    continue
                for peer in peers:
                    if not all(_allowed_peer(peer, port, db, kafka) for port in ports):
                        problems.append(
                            f"NetworkPolicy/{policy['metadata']['name']}: egress to {peer} "
                            f"on {ports} is neither its database, Kafka nor DNS"
                        )
    return problems


def check(docs: list[Doc], expected: Mapping[str, Access] | None = None) -> list[str]:
    """Every problem with the bus (and egress) in one built overlay."""
    wanted = expected_access() if expected is None else expected
    return (
        check_listeners(docs)
        + check_users(docs, wanted)
        + check_credentials(docs)
        + check_egress(docs)
    )
