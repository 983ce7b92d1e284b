"""The one JSON canonicalisation of supplyguard: RFC 8785 (JCS).

Values made only of ASCII-keyed objects, arrays, strings, booleans, null and integers within the
IEEE-754 safe range canonicalise exactly as ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` writes them (same escapes, same key order); those take that fast path. Anything
else (floats, huge integers, non-ASCII keys) goes through the ``rfc8785`` implementation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

_SAFE_INT = 2**53 - 1


def _is_simple(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-_SAFE_INT <= value <= _SAFE_INT)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii() or not _is_simple(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(_is_simple(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON-compatible value."""
    if _is_simple(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return bytes(rfc8785.dumps(value))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_sha256(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``value``: the body hash of a ledger leaf."""
    return sha256_hex(canonical_json(value))
