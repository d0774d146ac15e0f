"""settlement-svc's settings, read from the environment."""

from __future__ import annotations

from btxh_common.po_sign import Keyring, PostOfficeKey, dev_keys
from btxh_common.settings import ServiceSettings
from pydantic import Field

from settlement_svc.domain.packages import Policy


class Settings(ServiceSettings):
    service_name: str = "settlement-svc"
    http_port: int = 8004
    database_url: str = "postgresql://postgres@127.0.0.1:5432/btxh_settlement"
    resend_base_seconds: float = Field(default=30.0, gt=0)
    resend_max_seconds: float = Field(default=3600.0, gt=0)
    resend_max_attempts: int = Field(default=8, ge=1)
    scan_seconds: float = Field(default=5.0, gt=0)
    # how long a new version is held for a kept package's paid results (the recall refused)
    # before it is left in results_overdue for an officer to release
    results_wait_seconds: float = Field(default=86400.0, gt=0)
    # The post offices' public keys by key id (POSTOFFICE_KEYS, JSON: {"<key id>":
    # {"post_office": …, "public_key": <Ed25519, base64>, "districts": [...]}}); two ids of a
    # post office while its key is rotated. The default trusts only the simulator's dev key.
    postoffice_keys: dict[str, PostOfficeKey] = Field(default_factory=dev_keys)

    def resend_policy(self) -> Policy:
        return Policy(
            base_seconds=self.resend_base_seconds,
            max_seconds=self.resend_max_seconds,
            max_attempts=self.resend_max_attempts,
            results_wait_seconds=self.results_wait_seconds,
        )

    def keyring(self) -> Keyring:
        return Keyring(self.postoffice_keys)
