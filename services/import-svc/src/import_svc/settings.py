"""import-svc settings: the service's own, plus the limits an upload must stay within.

The defaults fit the pod (deploy/k8s: 1 GiB of memory, a 2 GiB /tmp): an upload is refused
above ``import_max_upload_bytes`` before it is read; its files stream to a directory of its
own under ``import_spool_dir``, at most ``import_upload_slots`` uploads at once (the spool
holds at most slots × max upload bytes: 400 MiB), and are stored in the database in 256 KiB
parts; no file is ever held whole in memory. One upload is parsed at a time, each file by a
child process capped at ``import_parse_memory_bytes`` and ``import_parse_seconds``; the rows of
an upload's files, held together to be checked together, are at most
``import_max_upload_rows`` (the 100k rows the benchmark measures).
"""

import tempfile
from pathlib import Path

from btxh_common.settings import ServiceSettings
from pydantic import Field

from import_svc.adapters.child_reader import Reading
from import_svc.adapters.spool import Spooling
from import_svc.adapters.workbook import Limits

MIB = 1024 * 1024


class Settings(ServiceSettings):
    service_name: str = "import-svc"
    http_port: int = 8001
    database_url: str = "postgresql://postgres@127.0.0.1:5432/btxh_import"
    import_max_files: int = Field(default=20, ge=1)
    import_max_file_bytes: int = Field(default=20 * MIB, ge=1024)
    import_max_upload_bytes: int = Field(default=200 * MIB, ge=1024)
    import_max_uncompressed_bytes: int = Field(default=200 * MIB, ge=1024)
    import_max_rows: int = Field(default=100_000, ge=1)
    import_max_upload_rows: int = Field(default=100_000, ge=1)
    import_max_columns: int = Field(default=40, ge=1)
    import_parse_memory_bytes: int = Field(default=768 * MIB, ge=64 * MIB)
    import_parse_seconds: float = Field(default=120.0, gt=0)
    import_parse_attempts: int = Field(default=2, ge=1)
    import_spool_dir: str = Field(default=str(Path(tempfile.gettempdir()) / "btxh-import"))
    import_upload_slots: int = Field(default=2, ge=1)
    import_poll_seconds: float = Field(default=1.0, gt=0)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_bytes=self.import_max_file_bytes,
            max_rows=self.import_max_rows,
            max_uncompressed=self.import_max_uncompressed_bytes,
            max_columns=self.import_max_columns,
        )

    @property
    def reading(self) -> Reading:
        return Reading(
            limits=self.limits,
            memory_bytes=self.import_parse_memory_bytes,
            seconds=self.import_parse_seconds,
            attempts=self.import_parse_attempts,
            spool=self.import_spool_dir,
            upload_rows=self.import_max_upload_rows,
        )

    @property
    def spooling(self) -> Spooling:
        return Spooling(
            root=Path(self.import_spool_dir),
            slots=self.import_upload_slots,
            max_files=self.import_max_files,
            max_file_bytes=self.import_max_file_bytes,
            max_upload_bytes=self.import_max_upload_bytes,
        )
