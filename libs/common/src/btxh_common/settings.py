"""Settings base: one pydantic-settings class per service, read from the environment."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from btxh_common.broker import KafkaAuth


class ServiceSettings(BaseSettings):
    """What every service reads; defaults work on the embedded local stack."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = "btxh"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/btxh"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_partitions: int = Field(default=6, ge=1)
    # The consumer groups' session timeout (Kafka's 10 s; heartbeats at a third of it). The
    # embedded broker holds a new group's first join for half of it, waiting for other
    # members: the tests' stacks set 4 s, so each service joins its groups 3 s sooner.
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000, le=300_000)
    # The bus credentials (deploy/: the Secret of the service's Strimzi KafkaUser and the
    # cluster CA); unset on the local stack, which speaks PLAINTEXT without authentication.
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    # Create missing topics at start (local stack, tests). In deploy/ Strimzi owns the topics
    # and a service's ACLs do not allow creating any.
    kafka_ensure_topics: bool = True
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # "local" on the laptop stack only: there, with no key given, a service verifies with the
    # dev key pair `make up` generated. Anything else (unset included) is a real deployment,
    # where a service refuses to start without the gateway's public keys.
    btxh_env: str = ""
    # The gateway's public keys (a JWKS: Ed25519 keys with a `kid` each, two during a
    # rotation), inline JSON or a file; services never hold the private key.
    jwt_public_keys: str = ""
    jwt_public_keys_file: str = ""
    jwt_audience: str = "btxh"
    jwt_issuer: str = "btxh-gateway"
    jwt_max_lifetime_seconds: int = Field(default=12 * 3600, gt=0)
    log_level: str = "INFO"
    log_json: bool = True
    db_pool_min: int = 1
    db_pool_max: int = 10
    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # Retention, swept by the outbox relay once an hour: published outbox rows are kept a week
    # (to look at what went out); inbox rows longer than the topics keep messages (90 days in
    # deploy/), so a message redelivered from anywhere in a topic is still recognised.
    outbox_keep_days: int = Field(default=7, ge=1)
    inbox_keep_days: int = Field(default=100, ge=1)
    startup_timeout_seconds: float = 120.0
    # How often the alert gauges (btxh_common.opsmetrics: dead letters, consumer lag, outbox,
    # the service's own) are read again from the database and the broker.
    metrics_refresh_seconds: float = Field(default=15.0, gt=0)
    # Read your writes (btxh_common.readpos): how long a request with ``as_of`` waits for the
    # service's read model of the register to reach it before 409 ``read_model_behind``.
    read_model_wait_seconds: float = Field(default=10.0, ge=0)
    # Tests only (off by default): each consumed event waits this long before it is applied,
    # to hold a read model behind the register on purpose.
    test_inbox_delay_seconds: float = Field(default=0.0, ge=0, le=10)

    def kafka_auth(self) -> KafkaAuth:
        password = self.kafka_sasl_password
        return KafkaAuth(
            self.kafka_sasl_username or None,
            password.get_secret_value() if password else None,
            self.kafka_ssl_cafile or None,
        )
