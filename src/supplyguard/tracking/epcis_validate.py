"""Validation of EPCIS documents: the GS1 JSON schema plus checks the schema cannot express.

The GS1 schema (``EPCIS-JSON-Schema.json`` of the standard) is passed in as a dict, so the engine
never reads files: the service layer loads it once from package data and keeps the compiled
:class:`EpcisJsonSchema`. Every failure is reported with the path of the offending field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import jsonschema

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.tracking.epcis_model import EpcisDocument

__all__ = ["EpcisJsonSchema", "check_document_semantics"]

_MAX_SCHEMA_ERRORS = 50


class EpcisJsonSchema:
    """The GS1 EPCIS 2.0 JSON schema, compiled once (draft-07)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        validator_class.check_schema(schema)
        definitions = schema.get("definitions", {})
        # local $refs inlined once: reference resolution is most of jsonschema's time on this schema
        inlined = (
            _inline_refs(dict(schema), definitions, frozenset()) if isinstance(definitions, dict) else schema
        )
        self._validator = validator_class(inlined, format_checker=None)

    def errors(self, document: Mapping[str, Any]) -> list[FieldError]:
        """Field errors of ``document``, deepest first, at most 50."""
        found: list[FieldError] = []
        for error in sorted(self._validator.iter_errors(document), key=lambda e: -len(e.absolute_path)):
            found.append(FieldError(tuple(error.absolute_path), _message(error)))
            if len(found) >= _MAX_SCHEMA_ERRORS:
                break
        return found

    def validate(self, document: Mapping[str, Any]) -> None:
        """Raise :class:`ValidationFailed` when ``document`` does not follow the schema."""
        errors = self.errors(document)
        if errors:
            raise ValidationFailed(errors)


def _inline_refs(node: Any, definitions: Mapping[str, Any], open_refs: frozenset[str]) -> Any:
    """``node`` with ``#/definitions/...`` references replaced by their targets (recursive ones kept)."""
    if isinstance(node, list):
        return [_inline_refs(item, definitions, open_refs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        name = unquote(ref.removeprefix("#/definitions/"))
        if name in definitions and name not in open_refs:
            target = _inline_refs(definitions[name], definitions, open_refs | {name})
            rest = {k: _inline_refs(v, definitions, open_refs) for k, v in node.items() if k != "$ref"}
            return {"allOf": [target, rest]} if rest else target
    return {k: _inline_refs(v, definitions, open_refs) for k, v in node.items()}


def _message(error: jsonschema.ValidationError) -> str:
    message = str(error.message)
    return message if len(message) <= 300 else message[:297] + "..."


def check_document_semantics(
    document: EpcisDocument,
    *,
    now: datetime | None = None,
    max_future: timedelta = timedelta(days=1),
) -> None:
    """Checks beyond the schema: unique event IDs, no event time far in the future."""
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for index, event in enumerate(document.events):
        where: tuple[str | int, ...] = ("epcisBody", "eventList", index)
        if event.event_id:
            if event.event_id in seen:
                errors.append(
                    FieldError(
                        (*where, "eventID"), f"eventID {event.event_id} repeats event {seen[event.event_id]}"
                    )
                )
            seen.setdefault(event.event_id, index)
        if now is not None and event.event_time > now + max_future:
            errors.append(
                FieldError(
                    (*where, "eventTime"), f"eventTime {event.event_time.isoformat()} is in the future"
                )
            )
    if errors:
        raise ValidationFailed(errors)
