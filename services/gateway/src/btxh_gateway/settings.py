"""The gateway's settings, read from the environment (``GATEWAY_*`` and the services' URLs)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_ACCOUNTS = Path(__file__).parent / "demo_accounts.json"


class GatewaySettings(BaseSettings):
    """Defaults fit the local stack (``make up``): services on 8001–8004, the console on 8000."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=None, extra="ignore")

    host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("GATEWAY_HOST", "HTTP_HOST")
    )
    port: int = 8000
    # Local accounts: a JSON file of officers with argon2 password hashes (see README).
    accounts_file: str = str(DEMO_ACCOUNTS)
    # The gateway's Ed25519 private key (a JWK with its kid), as a file or inline. Empty on
    # the local stack (BTXH_ENV=local): the dev key pair `make up` keeps under .run/keys.
    signing_key_file: str = ""
    signing_key: str = ""
    # Signs the session cookie; empty: a random secret per process (sessions end at restart).
    session_secret: str = ""
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Secure flag of the session cookie (served over HTTPS). The local stack on plain
    # http://127.0.0.1 turns it off.
    secure_cookie: bool = True
    token_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    # A POST body larger than this is refused before it is read (import-svc's own cap on an
    # upload is 200 MiB).
    max_upload_bytes: int = Field(default=200 * 2**20, ge=1024)
    service_timeout_seconds: float = Field(default=60.0, gt=0)
    import_url: str = "http://127.0.0.1:8001"
    beneficiary_url: str = "http://127.0.0.1:8002"
    payment_url: str = "http://127.0.0.1:8003"
    settlement_url: str = "http://127.0.0.1:8004"
    jwt_audience: str = Field(default="btxh", validation_alias=AliasChoices("JWT_AUDIENCE"))
    jwt_issuer: str = Field(default="btxh-gateway", validation_alias=AliasChoices("JWT_ISSUER"))
    btxh_env: str = Field(default="", validation_alias=AliasChoices("BTXH_ENV"))
