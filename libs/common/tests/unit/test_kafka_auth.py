"""The bus credentials: with KAFKA_SASL_* set a service's clients speak SCRAM-SHA-512 (over
TLS when a CA is given); without them, PLAINTEXT with no authentication (the local stack)."""

from __future__ import annotations

import pytest
from btxh_common.broker import KafkaAuth, make_broker
from btxh_common.outbox import make_producer
from btxh_common.settings import ServiceSettings


async def test_the_local_stack_has_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SSL_CAFILE"):
        monkeypatch.delenv(name, raising=False)
    auth = ServiceSettings().kafka_auth()
    assert not auth.enabled
    assert auth.client_kwargs() == {}
    assert make_producer("127.0.0.1:9092", auth).client._security_protocol == "PLAINTEXT"


async def test_credentials_from_the_environment_make_scram_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "payment-svc")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.delenv("KAFKA_SSL_CAFILE", raising=False)
    settings = ServiceSettings()
    assert "s3cret" not in repr(settings)  # the password is a SecretStr
    kwargs = settings.kafka_auth().client_kwargs()
    assert kwargs["security_protocol"] == "SASL_PLAINTEXT"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == (
        "payment-svc",
        "s3cret",
    )
    producer = make_producer("kafka:9093", settings.kafka_auth())
    assert producer.client._sasl_mechanism == "SCRAM-SHA-512"
    assert make_broker("kafka:9093", "payment-svc", settings.kafka_auth()) is not None


def test_a_ca_file_turns_on_tls() -> None:
    import ssl

    cafile = ssl.get_default_verify_paths().cafile or ssl.get_default_verify_paths().openssl_cafile
    auth = KafkaAuth("postoffice", "pw", cafile)
    kwargs = auth.client_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)


def test_a_username_without_a_password_is_refused() -> None:
    with pytest.raises(ValueError, match="KAFKA_SASL_PASSWORD"):
        KafkaAuth("payment-svc", None)
