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
    """True when ``json.dumps`` with sorted keys writes exactly the RFC 8785 form of ``value``."""
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is dict:
            for key, child in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                child_kind = type(child)
                if child_kind is str or child is None:
                    continue
                push(child)
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is int:
            if not -_SAFE_INT <= item <= _SAFE_INT:
                return False
        else:
            return False
    return True


def canonical_json(value: Any, *, known_simple: bool = False) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON-compatible value.

    ``known_simple=True`` skips the type walk for values built by code that guarantees the simple
    shape (ASCII keys; strings, booleans, null and safe integers only), such as ledger bodies; their
    builders have property tests against the reference implementation.
    """
    if known_simple or _is_simple(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return bytes(rfc8785.dumps(value))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_sha256(value: Any, *, known_simple: bool = False) -> str:
    """Hex SHA-256 of the canonical JSON of ``value``: the body hash of a ledger leaf."""
    return sha256_hex(canonical_json(value, known_simple=known_simple))
