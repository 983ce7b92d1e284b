"""Reading a STIX 2.1 bundle one object at a time, in bounded memory (standard library only).

A bundle file can be far larger than memory (a 1 GB export); ``json.load`` would hold all of it,
parsed, at once. :func:`iter_bundle_objects` reads the text in chunks, walks the top-level bundle
object member by member, and decodes the elements of its ``objects`` array one by one with
``json.JSONDecoder.raw_decode``, dropping what it has consumed: at any time it holds one chunk and
the object being decoded. An object larger than ``max_object_bytes`` (measured in characters of its
JSON text) is refused with :class:`BundleInvalid` before more of it is read, so a single giant
object cannot exhaust memory either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

from supplyguard.errors import InvalidInput

DEFAULT_CHUNK_CHARS = 1 << 20
DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024
_WHITESPACE = " \t\n\r"
_decoder = json.JSONDecoder()


class TextSource(Protocol):
    def read(self, size: int = ..., /) -> str: ...


class BundleInvalid(InvalidInput):
    """The file is not a readable STIX bundle, or one of its objects is too large."""


class _Reader:
    """A sliding window over the text: ``buf[pos:]`` is what has not been consumed yet."""

    def __init__(self, source: TextSource, chunk_chars: int) -> None:
        self.source = source
        self.chunk_chars = chunk_chars
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.consumed = 0  # characters dropped from the front of buf (for error offsets)
        self.last_size = 0  # characters of the last value decoded

    def offset(self) -> int:
        return self.consumed + self.pos

    def more(self, at_least: int = 0) -> bool:
        """Read another chunk (or ``at_least`` characters); False at the end of the text."""
        if self.eof:
            return False
        if self.pos:
            self.consumed += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        try:
            data = self.source.read(max(self.chunk_chars, at_least, 64))
        except UnicodeDecodeError as error:
            raise BundleInvalid(f"the bundle is not UTF-8 text ({error.reason})") from None
        if not isinstance(data, str):
            raise BundleInvalid("the bundle must be read as text")
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def peek(self) -> str:
        """The next character that is not whitespace, without consuming it ('' at the end)."""
        while True:
            buf, pos, size = self.buf, self.pos, len(self.buf)
            while pos < size and buf[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < size:
                return buf[pos]
            if not self.more():
                return ""

    def expect(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            shown = repr(found) if found else "the end of the file"
            raise BundleInvalid(f"expected {what} at character {self.offset()}, found {shown}")
        self.pos += 1

    def value(self, limit: int, what: str) -> Any:
        """Decode one JSON value starting at the next non-whitespace character."""
        if not self.peek():
            raise BundleInvalid(f"the file ends where {what} should be")
        last_error: tuple[str, int] | None = None
        while True:
            try:
                value, end = _decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as error:
                pending = len(self.buf) - self.pos
                if pending > limit:
                    raise BundleInvalid(
                        f"{what} at character {self.offset()} is larger than {limit} bytes: refused"
                    ) from None
                signature = (error.msg, error.pos - self.pos)
                # An error well inside text that more text did not change is not truncation.
                repeated = signature == last_error and not error.msg.startswith("Unterminated string")
                if repeated or not self.more(at_least=pending):
                    raise BundleInvalid(
                        f"{what} at character {self.offset()} is not valid JSON: {error.msg}"
                    ) from None
                last_error = signature
                continue
            if end - self.pos > limit:
                raise BundleInvalid(
                    f"{what} at character {self.offset()} is larger than {limit} bytes: refused"
                )
            if end == len(self.buf) and not self.eof and type(value) in (int, float):
                self.more()  # a number cut by the chunk end: read on and decode it again
                continue
            self.last_size = end - self.pos
            self.pos = end
            return value


def iter_bundle_objects(
    source: TextSource,
    *,
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
) -> Iterator[Any]:
    """Yield the elements of a STIX bundle's ``objects`` array one at a time (see
    :func:`iter_bundle_entries`, which also gives the size of each)."""
    for value, _size in iter_bundle_entries(
        source, max_object_bytes=max_object_bytes, chunk_chars=chunk_chars
    ):
        yield value


def iter_bundle_entries(
    source: TextSource,
    *,
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
) -> Iterator[tuple[Any, int]]:
    """Yield ``(object, characters of its JSON text)`` for the elements of a STIX bundle's
    ``objects`` array, one at a time.

    Raises :class:`BundleInvalid` when the text is not a JSON object with ``"type": "bundle"``
    (checked when the member is met; a bundle that states its type after its objects is checked
    at the end), is malformed anywhere, or holds an object over ``max_object_bytes``.
    """
    if max_object_bytes < 2 or chunk_chars < 1:
        raise ValueError("max_object_bytes must be at least 2 and chunk_chars at least 1")
    reader = _Reader(source, chunk_chars)
    reader.expect("{", "a JSON object (a STIX bundle)")
    bundle_type: Any = None
    seen_objects = False
    if reader.peek() == "}":
        reader.pos += 1
    else:
        while True:
            key = reader.value(1024, "a member name")
            if not isinstance(key, str):
                raise BundleInvalid(f"expected a member name at character {reader.offset()}")
            reader.expect(":", f"':' after {key!r}")
            if key == "objects":
                if seen_objects:
                    raise BundleInvalid("the bundle has two 'objects' members")
                seen_objects = True
                if bundle_type is not None and bundle_type != "bundle":
                    raise BundleInvalid(f"the file is a {bundle_type!r}, not a STIX bundle")
                reader.expect("[", "the objects array")
                if reader.peek() == "]":
                    reader.pos += 1
                else:
                    index = 0
                    while True:
                        item = reader.value(max_object_bytes, f"object #{index + 1}")
                        yield item, reader.last_size
                        index += 1
                        separator = reader.peek()
                        reader.pos += 1
                        if separator == "]":
                            break
                        if separator != ",":
                            at = reader.offset() - 1
                            raise BundleInvalid(
                                f"expected ',' or ']' after object #{index} at character {at}"
                            )
            else:
                member = reader.value(max_object_bytes, f"the bundle's {key!r}")
                if key == "type":
                    bundle_type = member
                    if member != "bundle":
                        raise BundleInvalid(f"the file is a {member!r}, not a STIX bundle")
            separator = reader.peek()
            reader.pos += 1
            if separator == "}":
                break
            if separator != ",":
                raise BundleInvalid(f"expected ',' or '}}' at character {reader.offset() - 1}")
    if bundle_type != "bundle":
        raise BundleInvalid('the file is not a STIX bundle (no "type": "bundle")')
    if reader.peek():
        raise BundleInvalid(f"unexpected text after the bundle at character {reader.offset()}")
