"""EPCIS 2.0 JSON-LD out: events (whatever syntax they came in) as a query result document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from supplyguard.tracking.epcis_model import EpcisEvent

__all__ = ["EPCIS_CONTEXT", "event_to_jsonld", "events_to_query_document"]

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _rename_prefix(value: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(value, list):
        return [_rename_prefix(item, renames) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            prefix, sep, local = key.partition(":")
            out[f"{renames[prefix]}:{local}" if sep and prefix in renames else key] = _rename_prefix(
                item, renames
            )
        return out
    return value


def event_to_jsonld(event: EpcisEvent, renames: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The event's JSON form with ``eventID`` (its hash when it had none) and ``recordTime`` set."""
    body = dict(event.body)
    body.setdefault("eventID", event.event_hash)
    if event.record_time is not None:
        body["recordTime"] = event.record_time.isoformat().replace("+00:00", "Z")
    return _rename_prefix(body, renames) if renames else body


def events_to_query_document(
    events: Iterable[EpcisEvent],
    *,
    query_name: str = "SimpleEventQuery",
    subscription_id: str | None = None,
    creation_date: str | None = None,
) -> dict[str, Any]:
    """An ``EPCISQueryDocument`` (JSON-LD) holding ``events``; extension prefixes merged into its context."""
    namespaces: dict[str, str] = {}
    event_list = []
    for event in events:
        renames: dict[str, str] = {}
        for prefix, iri in event.namespaces.items():
            if namespaces.get(prefix, iri) != iri:
                existing = next((p for p, i in namespaces.items() if i == iri), None)
                renamed = existing or f"{prefix}{len(namespaces) + 1}"
                renames[prefix] = renamed
                namespaces[renamed] = iri
            else:
                namespaces[prefix] = iri
        event_list.append(event_to_jsonld(event, renames))
    context: list[Any] = [EPCIS_CONTEXT]
    if namespaces:
        context.append(dict(sorted(namespaces.items())))
    results: dict[str, Any] = {"queryName": query_name}
    if subscription_id:
        results["subscriptionID"] = subscription_id
    results["resultsBody"] = {"eventList": event_list}
    document: dict[str, Any] = {"@context": context, "type": "EPCISQueryDocument", "schemaVersion": "2.0"}
    if creation_date:
        document["creationDate"] = creation_date
    document["epcisBody"] = {"queryResults": results}
    return document
