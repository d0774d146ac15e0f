"""import-svc settings: the service's own, plus the limits an upload must stay within."""

from btxh_common.settings import ServiceSettings
from pydantic import Field

from import_svc.adapters.workbook import Limits


class Settings(ServiceSettings):
    service_name: str = "import-svc"
    http_port: int = 8001
    database_url: str = "postgresql://postgres@127.0.0.1:5432/btxh_import"
    import_max_file_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    import_max_uncompressed_bytes: int = Field(default=500 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(default=200_000, ge=1)
    import_max_files: int = Field(default=50, ge=1)
    import_poll_seconds: float = Field(default=1.0, gt=0)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_bytes=self.import_max_file_bytes,
            max_rows=self.import_max_rows,
            max_uncompressed=self.import_max_uncompressed_bytes,
        )
