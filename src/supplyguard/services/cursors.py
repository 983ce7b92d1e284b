"""Opaque, stateless page cursors: base64url of the sort key of the last row a page returned."""

from __future__ import annotations

import base64
import json
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed


def encode_cursor(kind: str, values: list[Any]) -> str:
    raw = json.dumps([kind, values], separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not (isinstance(decoded, list) and len(decoded) == 2 and decoded[0] == kind):
            raise ValueError("cursor made for another listing")
        values = decoded[1]
        if not isinstance(values, list):
            raise ValueError("bad cursor values")
        return values
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(
            [FieldError(("cursor",), f"is not a cursor this listing issued ({exc})")]
        ) from exc
