"""EPCIS 2.0 JSON-LD out: events (whatever syntax they came in) as a query result document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from supplyguard.tracking import cbv_vocab
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


_CBV_URN = "urn:epcglobal:cbv:"
_PARTY_LISTS = ("bizTransactionList", "sourceList", "destinationList")
#: The CBV 1.x URNs that EPCIS XML writes standard values with, by prefix, and the vocabulary whose
#: bare word the JSON form writes instead (the GS1 JSON schema refuses ``urn:epcglobal:cbv:`` there)
_CBV_URNS: Mapping[str, frozenset[str]] = {
    "urn:epcglobal:cbv:bizstep": cbv_vocab.BIZ_STEPS,
    "urn:epcglobal:cbv:disp": cbv_vocab.DISPOSITIONS,
    "urn:epcglobal:cbv:btt": cbv_vocab.BIZ_TRANSACTION_TYPES,
    "urn:epcglobal:cbv:sdt": cbv_vocab.SOURCE_DEST_TYPES,
    "urn:epcglobal:cbv:er": cbv_vocab.ERROR_REASONS,
}


def _bare(value: Any) -> Any:
    """``urn:epcglobal:cbv:bizstep:shipping`` as ``shipping``; any other value as it is."""
    if isinstance(value, str) and value.startswith(_CBV_URN):
        prefix, _, word = value.rpartition(":")
        if word in _CBV_URNS.get(prefix, ()):
            return word
    return value


def _is_urn(value: object) -> bool:
    return type(value) is str and value.startswith(_CBV_URN)


def _json_vocabulary(body: dict[str, Any]) -> None:
    """CBV values of an event captured from XML written as the JSON form writes them (bare words), in
    ``body``, a copy whose nested objects are replaced, never changed: the same hash, and the GS1
    JSON schema accepts them (strict mode takes the node's own output back)."""
    for key in ("bizStep", "disposition"):
        value = body.get(key)
        if type(value) is str and value.startswith(_CBV_URN):
            body[key] = _bare(value)
    changes = body.get("persistentDisposition")
    if type(changes) is dict and any(
        _is_urn(item) for value in changes.values() for item in (value if type(value) is list else [value])
    ):
        body["persistentDisposition"] = {
            key: [_bare(item) for item in value] if type(value) is list else _bare(value)
            for key, value in changes.items()
        }
    for key in _PARTY_LISTS:
        entries = body.get(key)
        if type(entries) is list:
            for entry in entries:
                if type(entry) is dict and _is_urn(entry.get("type")):
                    body[key] = [
                        {**entry, "type": _bare(entry["type"])}
                        if type(entry) is dict and "type" in entry
                        else entry
                        for entry in entries
                    ]
                    break
    declaration = body.get("errorDeclaration")
    if type(declaration) is dict and _is_urn(declaration.get("reason")):
        body["errorDeclaration"] = {**declaration, "reason": _bare(declaration["reason"])}


def event_to_jsonld(event: EpcisEvent, renames: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The event's JSON form with ``eventID`` (its hash when it had none) and ``recordTime`` set;
    standard CBV values an XML event wrote as ``urn:epcglobal:cbv:`` URNs as the JSON form's bare words."""
    body = dict(event.body)
    _json_vocabulary(body)
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
