"""Keyset paging for the lists that keep growing (refusals, packages, settlements, import
batches, shared IDs): ``limit`` (at most ``MAX_PAGE``) and an opaque ``cursor``.

A page is read with ``LIMIT limit + 1``: the extra row, if any, says there is a next page,
whose cursor is the sort key of the page's last row. The next page starts strictly after
that key, so rows added meanwhile never shift a page (as an offset would) and a page costs
the same however deep it is.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query

from btxh_common.errors import InvalidInput

MAX_PAGE = 200
DEFAULT_PAGE = 50

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"rows per page, at most {MAX_PAGE}")]
CursorParam = Annotated[
    str | None,
    Query(max_length=256, description="next_cursor of the previous page; none: the first"),
]

T = TypeVar("T")


def encode(key: Sequence[Any]) -> str:
    """An opaque cursor for a row's sort key (values as text)."""
    return base64.urlsafe_b64encode(json.dumps([str(v) for v in key]).encode()).decode()


def decode(cursor: str | None, parts: int) -> list[str] | None:
    """The sort key a cursor carries, ``parts`` values of text; None for the first page."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("Con trỏ trang không hợp lệ", code="bad_cursor") from exc
    if not (isinstance(key, list) and len(key) == parts and all(isinstance(v, str) for v in key)):
        raise InvalidInput("Con trỏ trang không hợp lệ", code="bad_cursor")
    return key


def parse(cursor: str | None, *types: Callable[[str], Any]) -> list[Any] | None:
    """The cursor's key with each part read by ``types`` (e.g. ``int``, ``UUID``,
    ``datetime.fromisoformat``); a part that does not read is a bad cursor."""
    key = decode(cursor, len(types))
    if key is None:
        return None
    try:
        return [read(v) for read, v in zip(types, key, strict=True)]
    except ValueError as exc:
        raise InvalidInput("Con trỏ trang không hợp lệ", code="bad_cursor") from exc


def page(
    rows: Sequence[T], limit: int, key: Callable[[T], Sequence[Any]]
) -> tuple[list[T], str | None]:
    """The first ``limit`` of ``rows`` (read with ``limit + 1``) and the next page's cursor."""
    shown = list(rows[:limit])
    more = len(rows) > limit
    return shown, (encode(key(shown[-1])) if more and shown else None)
