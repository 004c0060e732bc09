"""Opaque cursors for keyset paging (SPEC §2: ``after``, per_page 1-100).

A cursor is the sort key of the last item of a page, as URL-safe base64 of a small JSON
array; the next page holds the items strictly after that key. Because it names a
position in the sort order rather than an offset, rows inserted meanwhile never shift a
page (they appear on a later page or, when they sort before it, not at all).

    >>> c = encode_cursor("e", ["2025-03-10T08:00:00", "x"])
    >>> decode_cursor(c, "e")
    ['2025-03-10T08:00:00', 'x']
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import BadRequest

MAX_PER_PAGE = 100


def encode_cursor(kind: str, key: list[Any]) -> str:
    """``kind`` names the listing, so a cursor of one list is refused by another."""
    raw = json.dumps([kind, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> list[Any]:
    """The key of :func:`encode_cursor`; :class:`BadRequest` (field ``after``) otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError):
        raise BadRequest("the cursor cannot be read", field="after", value=cursor) from None
    if not isinstance(data, list) or not data or data[0] != kind:
        raise BadRequest("the cursor does not belong to this list", field="after", value=cursor)
    return data[1:]


def check_per_page(per_page: int, field: str = "per_page") -> int:
    """1 ≤ per_page ≤ 100, else :class:`BadRequest`."""
    if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"{field} must be between 1 and {MAX_PER_PAGE}", field=field, value=str(per_page))
    return per_page
