"""EPCIS 1.2 / 2.0 XML documents to :class:`EpcisDocument`, through the EPCIS 2.0 JSON form.

Each XML event is rewritten into the JSON shape the GS1 JSON schema defines (the mapping of the
EPCIS 2.0 standard, section 12), so that both syntaxes share one checker, one hash and one
serialiser. User extensions keep their namespace: ``<example:myField>`` becomes the key
``example:myField`` with ``example`` in the document's namespaces.

Safety: the stdlib expat parser never fetches external entities; documents that declare entities
(``<!ENTITY``, the way to a "billion laughs" expansion) are refused before parsing.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET  # entity declarations are refused before parsing
from typing import Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.tracking.epcis_events import EventErrors, build_event, parse_timestamp
from supplyguard.tracking.epcis_json import SCHEMA_VERSION
from supplyguard.tracking.epcis_model import EVENT_TYPES, EpcisDocument, EpcisEvent

__all__ = ["epcis_xml_to_json", "parse_epcis_xml"]

_STANDARD_NAMESPACES = frozenset(
    {
        "",
        "urn:epcglobal:epcis:xsd:1",
        "urn:epcglobal:epcis:xsd:2",
        "urn:epcglobal:epcis-query:xsd:1",
        "urn:epcglobal:epcis-query:xsd:2",
        "urn:epcglobal:epcis-masterdata:xsd:1",
        "urn:epcglobal:epcis-masterdata:xsd:2",
    }
)
_WRAPPERS = frozenset({"extension", "baseExtension"})
_EPC_LISTS = frozenset({"epcList", "childEPCs", "inputEPCList", "outputEPCList"})
_QUANTITY_LISTS = frozenset({"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"})
_PARTY_LISTS = {
    "bizTransactionList": "bizTransaction",
    "sourceList": "source",
    "destinationList": "destination",
}
_SENSOR_NUMBERS = frozenset({"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"})
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_XSD_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class _Names:
    """Turns ``{iri}local`` names into ``prefix:local`` keys, remembering prefixes it had to invent."""

    def __init__(self, declared: dict[str, str]) -> None:
        self.prefix_of = {iri: prefix for prefix, iri in declared.items() if prefix}
        self.namespaces = {prefix: iri for prefix, iri in declared.items() if prefix}

    def key(self, tag: str) -> tuple[str, bool]:
        """(key, is_standard) for an element or attribute name."""
        if not tag.startswith("{"):
            return tag, True
        iri, _, local = tag[1:].partition("}")
        if iri in _STANDARD_NAMESPACES:
            return local, True
        prefix = self.prefix_of.get(iri)
        if prefix is None:
            prefix = f"ns{len(self.prefix_of) + 1}"
            self.prefix_of[iri] = prefix
            self.namespaces[prefix] = iri
        return f"{prefix}:{local}", False


def _text(element: ET.Element) -> str:
    return (element.text or "").strip()


def _number_or_text(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def _children(element: ET.Element) -> list[ET.Element]:
    """Child elements with the 1.x ``extension``/``baseExtension`` wrappers flattened away."""
    out: list[ET.Element] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _WRAPPERS:
            out.extend(_children(child))
        else:
            out.append(child)
    return out


def _add(target: dict[str, Any], key: str, value: Any) -> None:
    if key in target:
        existing = target[key]
        target[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
    else:
        target[key] = value


def _generic(element: ET.Element, names: _Names) -> Any:
    children = _children(element)
    if not children and not element.attrib:
        return _text(element)
    value: dict[str, Any] = {}
    for attribute, attr_value in element.attrib.items():
        key, _ = names.key(attribute)
        if not key.startswith("xsi:") and "XMLSchema-instance" not in attribute:
            value[key] = attr_value
    for child in children:
        key, _ = names.key(child.tag)
        _add(value, key, _generic(child, names))
    if _text(element):
        value["#text"] = _text(element)
    return value


def _attributes(element: ET.Element, names: _Names, numbers: frozenset[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attribute, text in element.attrib.items():
        key, _ = names.key(attribute)
        if key in numbers:
            out[key] = _number_or_text(text)
        elif key == "booleanValue":  # xsd:boolean: true, false, 1, 0; anything else is left to refuse
            out[key] = _XSD_BOOLEANS.get(text.strip(), text)
        else:
            out[key] = text
    return out


def _sensor_element(element: ET.Element, names: _Names) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in _children(element):
        key, standard = names.key(child.tag)
        if standard and key == "sensorMetadata":
            out["sensorMetadata"] = _attributes(child, names)
        elif standard and key == "sensorReport":
            out.setdefault("sensorReport", []).append(_attributes(child, names, _SENSOR_NUMBERS))
        else:
            _add(out, key, _generic(child, names))
    return out


def _quantity(element: ET.Element, names: _Names) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in _children(element):
        key, _ = names.key(child.tag)
        if key == "quantity":
            if _text(child):
                out[key] = _number_or_text(_text(child))
        else:
            out[key] = _text(child)
    return out


def _location(element: ET.Element, names: _Names) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in _children(element):
        key, _ = names.key(child.tag)
        _add(out, key, _text(child) if key == "id" else _generic(child, names))
    return out


def _extension_attributes(element: ET.Element, names: _Names, target: dict[str, Any]) -> None:
    """The attributes of an element whose XSD type allows any (``xsd:anyAttribute``: events,
    ``errorDeclaration``, ``ilmd``) as fields beside its children: kept, never dropped (an unqualified
    one then meets the check that extensions need a namespace)."""
    for attribute, value in element.attrib.items():
        key, _ = names.key(attribute)
        if not key.startswith("xsi:") and "XMLSchema-instance" not in attribute:
            _add(target, key, value)


def _error_declaration(element: ET.Element, names: _Names) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if element.attrib:
        _extension_attributes(element, names, out)
    for child in _children(element):
        key, standard = names.key(child.tag)
        if standard and key == "correctiveEventIDs":
            out[key] = [_text(c) for c in child if isinstance(c.tag, str)]
        else:
            _add(out, key, _text(child) if standard else _generic(child, names))
    return out


def _event(element: ET.Element, event_type: str, names: _Names, repeated: list[str]) -> dict[str, Any]:
    """The event in its JSON form; standard fields that appear twice are named in ``repeated``."""
    event: dict[str, Any] = {"type": event_type}
    for child in _children(element):
        key, standard = names.key(child.tag)
        if not standard:
            _add(event, key, _generic(child, names))
            continue
        if key in event and key != "certificationInfo":
            repeated.append(key)
        if key in _EPC_LISTS:
            event[key] = [_text(epc) for epc in child if isinstance(epc.tag, str)]
        elif key in _QUANTITY_LISTS:
            event[key] = [_quantity(q, names) for q in child if isinstance(q.tag, str)]
        elif key in _PARTY_LISTS:
            entries = []
            for entry in child:
                if isinstance(entry.tag, str):
                    # every attribute and the element's own name kept, so that the checks refuse what
                    # the XSD does not allow (another attribute, another element) instead of dropping it
                    item: dict[str, Any] = {names.key(a)[0]: v for a, v in entry.attrib.items()}
                    tag = names.key(entry.tag)[0]
                    item[tag] = _text(entry)
                    entries.append(item)
            event[key] = entries
        elif key in ("readPoint", "bizLocation"):
            event[key] = _location(child, names)
        elif key == "sensorElementList":
            event[key] = [_sensor_element(s, names) for s in child if isinstance(s.tag, str)]
        elif key == "persistentDisposition":
            changes: dict[str, list[str]] = {}
            for change in child:
                if isinstance(change.tag, str):
                    changes.setdefault(names.key(change.tag)[0], []).append(_text(change))
            event[key] = changes
        elif key == "errorDeclaration":
            event[key] = _error_declaration(child, names)
        elif key == "ilmd":
            ilmd: dict[str, Any] = {}
            if child.attrib:
                _extension_attributes(child, names, ilmd)
            for item_element in _children(child):
                _add(ilmd, names.key(item_element.tag)[0], _generic(item_element, names))
            event[key] = ilmd
        elif key == "certificationInfo":
            _add(event, key, _text(child))
        else:
            event[key] = _text(child)
    if element.attrib:
        _extension_attributes(element, names, event)
    return event


def _event_elements(root: ET.Element) -> list[ET.Element]:
    """The event elements of the document's ``EventList`` (in ``EPCISBody`` or query ``resultsBody``)."""
    for container in root.iter():
        if isinstance(container.tag, str) and container.tag.rpartition("}")[2] == "EventList":
            events: list[ET.Element] = []
            for child in container:
                if not isinstance(child.tag, str):
                    continue
                events.extend(_children(child) if child.tag == "extension" else [child])
            return events
    return []


def _parse_tree(data: bytes) -> tuple[ET.Element, dict[str, str]]:
    if _ENTITY_DECLARATION.search(data):
        raise ValidationFailed([FieldError((), "XML entity declarations are not accepted")])
    declared: dict[str, str] = {}
    root: ET.Element | None = None
    try:
        for kind, item in ET.iterparse(io.BytesIO(data), events=("start-ns", "start")):  # noqa: S314
            if kind == "start-ns":
                prefix, iri = item
                declared.setdefault(prefix, iri)
            elif root is None:
                root = item
    except ET.ParseError as exc:
        raise ValidationFailed([FieldError((), f"not well-formed XML: {exc}")]) from exc
    if root is None:
        raise ValidationFailed([FieldError((), "empty XML document")])
    return root, declared


def epcis_xml_to_json(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    """(document header, events in JSON form, namespaces) of an EPCIS XML document."""
    root, declared = _parse_tree(data)
    document_type = root.tag.rpartition("}")[2]
    names = _Names(declared)
    header: dict[str, Any] = {
        "type": document_type,
        "schemaVersion": root.get("schemaVersion", ""),
        "creationDate": root.get("creationDate"),
    }
    for child in root.iter():
        if isinstance(child.tag, str) and child.tag.endswith("}ignoreFields"):
            header["ignoreFields"] = [names.key(c.tag)[0] for c in child if isinstance(c.tag, str)]
    if document_type == "EPCISMasterDataDocument":
        return header, [], names.namespaces
    if document_type not in ("EPCISDocument", "EPCISQueryDocument"):
        raise ValidationFailed([FieldError(("type",), f"{document_type} is not an EPCIS event document")])
    if header["schemaVersion"] and not SCHEMA_VERSION.match(header["schemaVersion"]):
        raise ValidationFailed(
            [FieldError(("schemaVersion",), 'schemaVersion must be a version string like "2.0"')]
        )
    if header["creationDate"] is not None and parse_timestamp(header["creationDate"]) is None:
        raise ValidationFailed(
            [FieldError(("creationDate",), "creationDate must be an ISO 8601 date-time with an offset")]
        )
    events: list[dict[str, Any]] = []
    repeated: list[str] = []
    errors: list[FieldError] = []
    for index, element in enumerate(_event_elements(root)):
        events.append(_event(element, names.key(element.tag)[0], names, repeated))
        if repeated:
            errors.extend(
                FieldError(("epcisBody", "eventList", index, key), f"{key} appears more than once")
                for key in repeated
            )
            repeated.clear()
    if errors:
        raise ValidationFailed(errors)
    return header, events, names.namespaces


def parse_epcis_xml(data: bytes, *, max_events: int | None = None) -> EpcisDocument:
    """Parse and check an EPCIS XML document; refuse it whole if any event is invalid."""
    try:
        header, events_json, namespaces = epcis_xml_to_json(data)
    except RecursionError as exc:
        raise ValidationFailed([FieldError((), "XML nested too deeply")]) from exc
    where: tuple[str | int, ...] = ("epcisBody", "eventList")
    if max_events is not None and len(events_json) > max_events:
        raise ValidationFailed(
            [FieldError(where, f"{len(events_json)} events exceed the limit of {max_events}")]
        )
    ignored = frozenset(
        "{" + namespaces[p] + "}" + local
        for p, _, local in (item.partition(":") for item in header.get("ignoreFields", []))
        if p in namespaces
    )
    events: list[EpcisEvent] = []
    errors: list[FieldError] = []
    for index, body in enumerate(events_json):
        if body["type"] not in EVENT_TYPES:
            errors.append(FieldError((*where, index, "type"), f"unknown event element {body['type']!r}"))
            continue
        try:
            events.append(build_event(body, namespaces, (*where, index), ignored))
        except EventErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return EpcisDocument(
        document_type=header["type"],
        schema_version=header["schemaVersion"],
        creation_date=header["creationDate"],
        events=tuple(events),
        namespaces=namespaces,
        syntax="xml",
    )
