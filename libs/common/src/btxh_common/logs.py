"""structlog set-up: JSON lines to stderr, bound with service name and correlation ids.

No national ID reaches a log line: every text of an event (structlog) and every message of
the standard library's loggers (uvicorn, aiokafka, faststream) has its 9- and 12-digit
numbers masked, and the access log (``service._trace_requests``) records the path without
its query string.
"""

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

# A UUID is matched first and kept whole: one of its groups can be twelve digits.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ID_OR_UUID = re.compile(rf"(?P<uuid>{_UUID})|(?<!\d)(?P<id>\d{{12}}|\d{{9}})(?!\d)")


def _masked(match: re.Match[str]) -> str:
    found = match.group("id")
    if found is None:
        return match.group(0)
    return "*" * (len(found) - 3) + found[-3:]


def mask_ids(text: str) -> str:
    """``text`` with every 9- or 12-digit number (a CMND or CCCD) masked but its last three
    digits; UUIDs and other numbers stay."""
    return _ID_OR_UUID.sub(_masked, text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_ids(value)
    if isinstance(value, Mapping):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_mask_value(v) for v in value]
    return value


def mask_national_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """structlog processor: masks IDs in every text of the event, nested ones included.
    Numbers stay numbers (amounts); an ID is always text, never an int, in this code."""
    return {k: _mask_value(v) for k, v in event.items()}


class MaskIds(logging.Filter):
    """The same masking for the standard library's records (uvicorn, aiokafka, faststream)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = mask_ids(message), None
        return True


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer()
    )
    logging.basicConfig(stream=sys.stderr, level=level, format="%(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskIds) for f in handler.filters):
            handler.addFilter(MaskIds())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_national_ids,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
