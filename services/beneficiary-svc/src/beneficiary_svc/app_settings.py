"""beneficiary-svc settings: read from the environment, defaults for the embedded stack."""

from typing import Literal

from btxh_common.settings import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service_name: str = "beneficiary-svc"
    http_port: int = 8002
    database_url: str = "postgresql://postgres@127.0.0.1:5432/btxh_beneficiary"
    register_level: Literal["district", "province"] = Field(
        default="district", description="the administrative level that owns a register"
    )
