"""Settings base: one pydantic-settings class per service, read from the environment."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The local stack's key; every real deployment sets JWT_SECRET from a secret store.
DEV_JWT_SECRET = "btxh-local-dev-secret-change-me-in-production"  # noqa: S105


class ServiceSettings(BaseSettings):
    """What every service reads; defaults work on the embedded local stack."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = "btxh"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/btxh"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_partitions: int = Field(default=6, ge=1)
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    jwt_secret: str = DEV_JWT_SECRET
    jwt_algorithm: str = "HS256"
    jwt_audience: str = "btxh"
    jwt_issuer: str = "btxh-gateway"
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
