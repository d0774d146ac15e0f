"""The published AsyncAPI document is the one the code generates (regenerate: make asyncapi)."""

from pathlib import Path

from settlement_svc.contract import render

COMMITTED = Path(__file__).parents[2] / "asyncapi.yaml"


def test_the_committed_asyncapi_document_is_current() -> None:
    assert COMMITTED.read_text() == render(), "stale asyncapi.yaml: run `make asyncapi`"


def test_it_documents_every_message_both_ways() -> None:
    text = render()
    for name in (
        "PackageChunk",
        "PackageManifest",
        "RecallRequest",
        "PackageAccepted",
        "PackageRejected",
        "PaymentResults",
        "SettlementReport",
        "ExtensionRequest",
    ):
        assert f"{name}Message" in text, name
