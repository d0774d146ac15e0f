"""No national ID in a log line (issue 16, item 7): 9- and 12-digit numbers are masked in
structlog events and in the standard library's records alike; UUIDs and amounts stay."""

import json
import logging
from typing import Any

import structlog
from btxh_common.logs import MaskIds, mask_ids, mask_national_ids


def test_a_cccd_and_a_cmnd_in_a_text_keep_only_their_last_three_digits() -> None:
    line = 'GET /v1/beneficiaries?national_id=001234567890&old=123456789 "200"'
    assert mask_ids(line) == 'GET /v1/beneficiaries?national_id=*********890&old=******789 "200"'


def test_other_numbers_and_uuids_are_left_as_they_are() -> None:
    line = "id 01a21582-8c93-7223-a95d-123456789012 phone 0912345678 amount 1500000 x 12345678901"
    assert mask_ids(line) == line


def test_the_processor_masks_nested_texts_and_leaves_numbers() -> None:
    logger: Any = structlog.wrap_logger(
        structlog.ReturnLogger(),
        processors=[mask_national_ids, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.BoundLogger,
    )
    line = logger.info(
        "import.row_refused",
        error="ValidationError: input_value='079190001234'",
        rows=[{"national_id": "079190001234"}],
        total_amount=360000000,
    )
    assert "079190001234" not in line
    event = json.loads(line)
    assert event["error"] == "ValidationError: input_value='*********234'"
    assert event["rows"] == [{"national_id": "*********234"}]
    assert event["total_amount"] == 360000000


def test_a_standard_library_record_and_its_traceback_are_masked() -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(MaskIds())
    logger = logging.getLogger("test.mask_ids")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning('"GET /v1/beneficiaries?national_id=%s HTTP/1.1" 200', "001234567890")
        try:
            raise ValueError("no one holds 123456789")
        except ValueError:
            logger.exception("lookup failed")
    finally:
        logger.removeHandler(handler)
    assert records[0] == '"GET /v1/beneficiaries?national_id=*********890 HTTP/1.1" 200'
    assert "ValueError: no one holds ******789" in records[1]
    assert "123456789" not in records[1]
