"""``btxh-reconcile``'s comparison, on hand-made inputs (the real-stack run is in
``tests/ops/test_restore.py``)."""

from __future__ import annotations

from btxh_tools.reconcile import Consumer, Seen, compare


def seen(n: int, kind: str, subject: str, district: str = "001") -> Seen:
    return Seen(f"e{n}", kind, district, "2026-11-26T00:00:00+00:00", subject, 0, n)


def test_each_divergence_is_listed_under_its_district_and_nothing_else() -> None:
    topic = [
        seen(1, "BeneficiaryChanged", "a"),  # producer has it, both consumers applied it
        seen(2, "BeneficiaryChanged", "b"),  # lost by the producer, then made again (5)
        seen(3, "BeneficiaryRegistered", "c"),  # lost by the producer, not made again
        seen(4, "BeneficiaryChanged", "d", "002"),  # payment-svc has not applied it yet
        seen(5, "BeneficiaryChanged", "b"),
    ]
    outbox = {
        "e1": ("BeneficiaryChanged", "001", True),
        "e4": ("BeneficiaryChanged", "002", True),
        "e5": ("BeneficiaryChanged", "001", True),
        "e9": ("ImportApplied", "002", True),  # sent, yet not on the topic
        "e8": ("ImportApplied", "001", False),  # not sent yet: no divergence
    }
    consumers = [
        Consumer("import-svc", frozenset({"e1", "e2", "e3", "e4", "e5"}), frozenset(),
                 frozenset({"BeneficiaryChanged", "BeneficiaryRegistered"})),
        Consumer("payment-svc", frozenset({"e1", "e2", "e5"}), frozenset({"e3"}),
                 frozenset({"BeneficiaryChanged"})),
    ]  # fmt: skip
    found = compare(topic, outbox, consumers)
    assert sorted(found) == ["001", "002"]
    lost = {e["event_id"]: (e["applied_by"], e["remade_by"]) for e in found["001"].lost_by_producer}
    assert lost == {"e2": (["import-svc", "payment-svc"], "e5"), "e3": (["import-svc"], None)}
    assert found["001"].not_applied == {}
    assert found["001"].not_on_topic == []
    assert found["002"].lost_by_producer == []
    assert [e["event_id"] for e in found["002"].not_applied["payment-svc"]] == ["e4"]
    assert found["002"].not_on_topic == [{"event_id": "e9", "event_type": "ImportApplied"}]


def test_nothing_diverged_is_an_empty_report() -> None:
    topic = [seen(1, "BeneficiaryChanged", "a")]
    outbox = {"e1": ("BeneficiaryChanged", "001", True)}
    reader = Consumer(
        "payment-svc", frozenset({"e1"}), frozenset(), frozenset({"BeneficiaryChanged"})
    )
    assert compare(topic, outbox, [reader]) == {}


def test_events_the_producer_put_back_after_a_restore_are_not_lost() -> None:
    """payment-svc rebuilds what a restore lost from its own topic (``rebuilt_event``): those
    events are no longer missing from the producer, the others still are."""
    topic = [seen(1, "PaymentPeriodOpened", "p"), seen(2, "PaymentListSubmitted", "l")]
    reader = Consumer(
        "settlement-svc", frozenset({"e1", "e2"}), frozenset(), frozenset({"PaymentListSubmitted"})
    )
    found = compare(topic, {}, [reader], put_back=frozenset({"e1"}))
    assert [e["event_id"] for e in found["001"].lost_by_producer] == ["e2"]
    assert compare(topic, {}, [reader], put_back=frozenset({"e1", "e2"})) == {}
