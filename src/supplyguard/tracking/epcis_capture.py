"""One entry point for EPCIS capture: bytes in, a checked :class:`EpcisDocument` out (or nothing)."""

from __future__ import annotations

from datetime import datetime, timedelta

from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.tracking.epcis_json import load_json_document, parse_epcis_json
from supplyguard.tracking.epcis_model import EpcisDocument
from supplyguard.tracking.epcis_validate import EpcisJsonSchema, check_document_semantics
from supplyguard.tracking.epcis_xml import parse_epcis_xml

__all__ = ["detect_syntax", "parse_epcis_document"]


def detect_syntax(data: bytes, media_type: str | None = None) -> str:
    """``"xml"`` or ``"json"`` from the media type, else from the first non-blank byte."""
    if media_type:
        kind = media_type.split(";", 1)[0].strip().lower()
        if kind.endswith("xml"):
            return "xml"
        if kind.endswith("json"):
            return "json"
    head = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if head == b"<":
        return "xml"
    if head in (b"{", b"["):
        return "json"
    raise ValidationFailed([FieldError((), "neither an XML nor a JSON document")])


def parse_epcis_document(
    data: bytes,
    *,
    media_type: str | None = None,
    schema: EpcisJsonSchema | None = None,
    max_bytes: int | None = None,
    max_events: int | None = None,
    now: datetime | None = None,
    max_future: timedelta = timedelta(days=1),
) -> EpcisDocument:
    """Parse, validate and hash an EPCIS 2.0 document (JSON/JSON-LD or XML), all or nothing.

    JSON documents are checked against ``schema`` (the GS1 EPCIS JSON schema) when given; every
    document gets the semantic checks (event shape, times, unique eventIDs, nothing far in the future
    of ``now``). Raises :class:`ValidationFailed` with one :class:`FieldError` per offending field, or
    :class:`PayloadTooLarge` beyond ``max_bytes``.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise PayloadTooLarge(len(data), max_bytes)
    syntax = detect_syntax(data, media_type)
    try:
        if syntax == "xml":
            document = parse_epcis_xml(data, max_events=max_events)
        else:
            raw = load_json_document(data)
            if schema is not None:
                schema.validate(raw)
            document = parse_epcis_json(raw, max_events=max_events)
    except RecursionError as exc:
        raise ValidationFailed([FieldError((), "document nested too deeply")]) from exc
    check_document_semantics(document, now=now, max_future=max_future)
    return document
