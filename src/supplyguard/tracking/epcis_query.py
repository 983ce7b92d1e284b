"""The EPCIS query parameters users need most, matched against events, and stateless page tokens.

:meth:`EventQuery.from_params` reads the EPCIS 2.0 REST names (``eventType``, ``GE_eventTime``,
``LT_eventTime``, ``GE_recordTime``, ``LT_recordTime``, ``EQ_bizStep``, ``EQ_disposition``,
``EQ_readPoint``, ``EQ_bizLocation``, ``MATCH_epc``, ``MATCH_anyEPC``, ``MATCH_parentID``,
``EQ_action``, ``EQ_type`` with ``GE_value``/``LE_value`` for sensor values). Several values of one
parameter are given repeated or comma-separated. Identifiers and CBV values are compared in their
canonical form, so ``urn:epc:id:sgtin:...`` finds events captured with Digital Links.

A page token names the position after the last event returned (record time, event hash) and a digest
of the query, so it is repeatable, needs no server state, and cannot be replayed on another query.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.tracking.epcis_events import parse_timestamp
from supplyguard.tracking.epcis_hash import CBV, GS1_VOC, canonical_value, expand_vocabulary
from supplyguard.tracking.epcis_model import EVENT_TYPES, EpcisEvent

__all__ = ["EventQuery", "decode_page_token", "encode_page_token", "event_matches"]

_LISTS = {
    "eventType": "event_types",
    "EQ_bizStep": "biz_steps",
    "EQ_disposition": "dispositions",
    "EQ_readPoint": "read_points",
    "EQ_bizLocation": "biz_locations",
    "MATCH_epc": "epcs",
    "MATCH_anyEPC": "any_epcs",
    "MATCH_parentID": "parent_ids",
    "EQ_action": "actions",
}
_TIMES = {
    "GE_eventTime": "ge_event_time",
    "LT_eventTime": "lt_event_time",
    "GE_recordTime": "ge_record_time",
    "LT_recordTime": "lt_record_time",
}
_KNOWN = {*_LISTS, *_TIMES, "EQ_type", "GE_value", "LE_value", "perPage", "nextPageToken"}

#: Each query parameter's JSON schema type and meaning, for the API's description (list parameters
#: take several values, repeated or comma-separated).
PARAMETERS: dict[str, tuple[str, str]] = {
    "eventType": (
        "string",
        "ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent",
    ),
    "GE_eventTime": ("string", "events at or after this ISO 8601 date-time (with an offset)"),
    "LT_eventTime": ("string", "events before this date-time"),
    "GE_recordTime": ("string", "events recorded at or after this date-time"),
    "LT_recordTime": ("string", "events recorded before this date-time"),
    "EQ_action": ("string", "ADD, OBSERVE or DELETE"),
    "EQ_bizStep": ("string", "CBV business steps (bare names such as shipping, or URIs)"),
    "EQ_disposition": ("string", "CBV dispositions (bare names such as in_transit, or URIs)"),
    "EQ_readPoint": ("string", "read point identifiers (SGLN URNs or GS1 Digital Links)"),
    "EQ_bizLocation": ("string", "business location identifiers"),
    "MATCH_epc": ("string", "EPCs in epcList or childEPCs (URNs or GS1 Digital Links)"),
    "MATCH_anyEPC": ("string", "EPCs anywhere in the event (lists, parent, input and output)"),
    "MATCH_parentID": ("string", "parent identifiers"),
    "EQ_type": ("string", "a sensor measurement type (gs1: vocabulary), with GE_value / LE_value"),
    "GE_value": ("number", "sensor values at or above this"),
    "LE_value": ("number", "sensor values at or below this"),
    "perPage": ("integer", "events a page (default 30)"),
    "nextPageToken": ("string", "the page after the one whose Link header gave this token"),
}


@dataclass(frozen=True, slots=True)
class EventQuery:
    event_types: tuple[str, ...] = ()
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    ge_record_time: datetime | None = None
    lt_record_time: datetime | None = None
    biz_steps: tuple[str, ...] = ()
    dispositions: tuple[str, ...] = ()
    read_points: tuple[str, ...] = ()
    biz_locations: tuple[str, ...] = ()
    epcs: tuple[str, ...] = ()
    any_epcs: tuple[str, ...] = ()
    parent_ids: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    sensor_type: str | None = None
    ge_value: float | None = None
    le_value: float | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str | Sequence[str]]) -> EventQuery:
        """Read REST query parameters; unknown names and bad values are refused with their name."""
        errors: list[FieldError] = []
        values: dict[str, object] = {}
        for name, raw in params.items():
            items = [raw] if isinstance(raw, str) else list(raw)
            parts = tuple(p.strip() for item in items for p in item.split(",") if p.strip())
            if name not in _KNOWN:
                errors.append(FieldError((name,), "unknown query parameter"))
            elif name in _LISTS:
                values[_LISTS[name]] = _canonical_list(name, parts, errors)
            elif name in _TIMES:
                moment = parse_timestamp(parts[0]) if len(parts) == 1 else None
                if moment is None:
                    errors.append(FieldError((name,), "one ISO 8601 date-time with an offset"))
                values[_TIMES[name]] = moment
            elif name == "EQ_type" and parts:
                values["sensor_type"] = expand_vocabulary(parts[0], GS1_VOC)
            elif name in ("GE_value", "LE_value"):
                try:
                    values[name.lower()] = float(parts[0])
                except (ValueError, IndexError):
                    errors.append(FieldError((name,), "a number"))
        if errors:
            raise ValidationFailed(errors)
        return cls(**values)  # type: ignore[arg-type]

    def digest(self) -> str:
        """A short fingerprint of the query (page tokens carry it)."""
        payload = json.dumps(asdict(self), default=str, sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:16]


def _canonical_list(name: str, parts: tuple[str, ...], errors: list[FieldError]) -> tuple[str, ...]:
    if name == "eventType":
        for part in parts:
            if part not in EVENT_TYPES:
                errors.append(FieldError((name,), f"unknown event type {part!r}"))
        return parts
    if name == "EQ_action":
        for part in parts:
            if part not in ("ADD", "OBSERVE", "DELETE"):
                errors.append(FieldError((name,), "ADD, OBSERVE or DELETE"))
        return parts
    if name == "EQ_bizStep":
        return tuple(canonical_value(expand_vocabulary(p, CBV + "BizStep-")) for p in parts)
    if name == "EQ_disposition":
        return tuple(canonical_value(expand_vocabulary(p, CBV + "Disp-")) for p in parts)
    return tuple(canonical_value(p) for p in parts)


def _any(wanted: tuple[str, ...], present: tuple[str, ...]) -> bool:
    return not wanted or any(item in wanted for item in present)


def event_matches(event: EpcisEvent, query: EventQuery) -> bool:
    """Whether ``event`` satisfies every condition of ``query`` (an empty query matches all)."""
    q = query
    if q.event_types and event.event_type not in q.event_types:
        return False
    if (q.ge_event_time and event.event_time < q.ge_event_time) or (
        q.lt_event_time and event.event_time >= q.lt_event_time
    ):
        return False
    if q.ge_record_time or q.lt_record_time:
        record = event.record_time
        if record is None or (q.ge_record_time and record < q.ge_record_time):
            return False
        if q.lt_record_time and record >= q.lt_record_time:
            return False
    if q.biz_steps and event.biz_step not in q.biz_steps:
        return False
    if q.dispositions and event.disposition not in q.dispositions:
        return False
    if q.read_points and event.read_point not in q.read_points:
        return False
    if q.biz_locations and event.biz_location not in q.biz_locations:
        return False
    if q.actions and event.action not in q.actions:
        return False
    if not _any(q.epcs, event.epcs + event.child_epcs):
        return False
    if not _any(q.any_epcs, event.all_epcs + event.all_epc_classes):
        return False
    if q.parent_ids and event.parent_id not in q.parent_ids:
        return False
    if q.sensor_type is not None or q.ge_value is not None or q.le_value is not None:
        return any(
            (q.sensor_type is None or r.type == q.sensor_type)
            and r.value is not None
            and (q.ge_value is None or r.value >= q.ge_value)
            and (q.le_value is None or r.value <= q.le_value)
            for r in event.sensor_readings
        )
    return True


def encode_page_token(record_time: datetime, event_hash: str, query: EventQuery) -> str:
    """An opaque token for the page that starts after (``record_time``, ``event_hash``)."""
    payload = json.dumps({"t": record_time.isoformat(), "h": event_hash, "q": query.digest()}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_page_token(token: str, query: EventQuery) -> tuple[datetime, str]:
    """The (record time, event hash) a token continues after; refuses tokens of another query."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        moment = parse_timestamp(payload["t"])
        event_hash, digest = str(payload["h"]), str(payload["q"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed([FieldError(("nextPageToken",), "not a page token")]) from exc
    if moment is None or digest != query.digest():
        raise ValidationFailed([FieldError(("nextPageToken",), "the token belongs to another query")])
    return moment, event_hash
