"""EPCIS 1.2 / 2.0 XML documents to :class:`EpcisDocument`, through the EPCIS 2.0 JSON form.

Each XML event is rewritten into the JSON shape the GS1 JSON schema defines (the mapping of the
EPCIS 2.0 standard, section 12), so that both syntaxes share one checker, one hash and one
serialiser. User extensions keep their namespace: ``<example:myField>`` becomes the key
``example:myField`` with ``example`` in the document's namespaces.

Nothing at event level or below is dropped. What the JSON form has a place for is kept there: the
attributes an event, ``ilmd``, ``errorDeclaration`` or a 1.x ``extension`` wrapper may carry (as
fields of the element the wrapper wraps into), the text of a ``sensorReport`` / ``sensorMetadata``
(as ``#text``). Everything else is refused with its path: an attribute on a plain field or a list
entry, text in an element that holds elements only, an element inside one that holds a value, a
list entry that is not the element the list holds.

Safety: the stdlib expat parser never fetches external entities; documents that declare entities
(``<!ENTITY``, the way to a "billion laughs" expansion) are refused before parsing.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET  # entity declarations are refused before parsing
from collections.abc import Iterable
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
_STRUCTURED = (
    _EPC_LISTS
    | _QUANTITY_LISTS
    | frozenset(_PARTY_LISTS)
    | {"readPoint", "bizLocation", "sensorElementList", "persistentDisposition", "errorDeclaration"}
    | {"ilmd", "certificationInfo"}
)
_SENSOR_NUMBERS = frozenset({"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"})
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_XSD_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
Location = tuple[str | int, ...]


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


def _children(
    element: ET.Element, lifted: list[tuple[str, str]], stray: list[str] | None = None
) -> list[ET.Element]:
    """Child elements with the 1.x ``extension``/``baseExtension`` wrappers flattened away.

    A wrapper's own attributes (its XSD type allows any, ``xsd:anyAttribute``) are appended to
    ``lifted``: the caller keeps them as fields of ``element`` itself, where the wrapper's content
    goes, or refuses them where the JSON form has no place for them; they are never dropped. Text
    directly in ``element`` or a wrapper (before or between child elements) goes to ``stray`` when
    given: the caller's type holds elements only and refuses it (:func:`_no_text`).
    """
    out: list[ET.Element] = []
    if stray is not None:
        text = element.text
        if text and not text.isspace():
            stray.append(text.strip())
    for child in element:
        if stray is not None:
            tail = child.tail
            if tail and not tail.isspace():
                stray.append(tail.strip())
        if not isinstance(child.tag, str):
            continue
        if child.tag in _WRAPPERS:
            if child.keys():
                lifted.extend(child.items())
            out.extend(_children(child, lifted, stray))
        else:
            out.append(child)
    return out


def _stray_text(element: ET.Element) -> str:
    """Non-blank text directly in ``element`` (before or between its child elements), if any."""
    text = element.text
    if text and not text.isspace():
        return text.strip()
    for child in element:
        tail = child.tail
        if tail and not tail.isspace():
            return tail.strip()
    return ""


def _no_text(
    element: ET.Element,
    names: _Names,
    where: Location,
    errors: list[FieldError],
    stray: list[str] | None = None,
) -> None:
    """An element whose XSD type holds elements only (an event, a list, a location...): text in it
    has no place in the JSON form and is refused, not dropped. ``stray``: the text :func:`_children`
    already found in it and its wrappers (``None``: look at the element here)."""
    text = (stray[0] if stray else "") if stray is not None else _stray_text(element)
    if text:
        tag = names.key(element.tag)[0]
        shown = text if len(text) <= 40 else text[:37] + "..."
        errors.append(FieldError(where, f"text {shown!r} in <{tag}>, which holds elements only"))


def _value(element: ET.Element, names: _Names, where: Location, errors: list[FieldError]) -> str:
    """The text of an element whose XSD type is a plain value (``eventTime``, ``epc``, ``id``...);
    attributes or child elements in it have no place in the JSON form and are refused."""
    if element.keys():
        _no_attributes(element, names, where, errors)
    if len(element):
        tag = names.key(element.tag)[0]
        errors.append(FieldError(where, f"<{tag}> holds a value, not elements"))
    return _text(element)


def _is_schema_instance(attribute: str) -> bool:
    return "XMLSchema-instance" in attribute


def _add(target: dict[str, Any], key: str, value: Any) -> None:
    if key in target:
        existing = target[key]
        target[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
    else:
        target[key] = value


def _generic(element: ET.Element, names: _Names) -> Any:
    """A user extension element: its text alone, or an object of its attributes, child elements
    (and the attributes of 1.x wrappers among them) and text (``#text``)."""
    lifted: list[tuple[str, str]] = []
    children = _children(element, lifted)
    if not children and not element.keys() and not lifted:
        return _text(element)
    value: dict[str, Any] = {}
    for attribute, attr_value in (*element.items(), *lifted):
        key, _ = names.key(attribute)
        if not key.startswith("xsi:") and not _is_schema_instance(attribute):
            _add(value, key, attr_value)
    for child in children:
        key, _ = names.key(child.tag)
        _add(value, key, _generic(child, names))
    if _text(element):
        value["#text"] = _text(element)
    return value


def _attributes(element: ET.Element, names: _Names, numbers: frozenset[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attribute, text in element.items():
        if _is_schema_instance(attribute):
            continue
        key, _ = names.key(attribute)
        if key in numbers:
            out[key] = _number_or_text(text)
        elif key == "booleanValue":  # xsd:boolean: true, false, 1, 0; anything else is left to refuse
            out[key] = _XSD_BOOLEANS.get(text.strip(), text)
        else:
            out[key] = text
    return out


def _keep_attributes(
    attributes: Iterable[tuple[str, str]],
    names: _Names,
    target: dict[str, Any],
    where: Location,
    errors: list[FieldError],
    owner: str,
) -> None:
    """Attributes where the XSD allows any (``xsd:anyAttribute``: events, ``errorDeclaration``,
    ``ilmd``, the 1.x wrappers) kept as fields of ``target`` beside its children, as user extensions;
    one without a namespace of its own (``foo="1"``, or ``action="ADD"`` standing in for the
    element) is no extension and is refused."""
    for attribute, value in attributes:
        if _is_schema_instance(attribute):
            continue
        key, standard = names.key(attribute)
        if standard:
            errors.append(
                FieldError(
                    (*where, key),
                    f"attribute {key!r} of <{owner}> is not an EPCIS field; "
                    f"an extension attribute needs a namespace prefix (ex:{key})",
                )
            )
        else:
            _add(target, key, value)


def _open_children(
    element: ET.Element,
    names: _Names,
    target: dict[str, Any],
    where: Location,
    errors: list[FieldError],
    owner: str | None = None,
) -> list[ET.Element]:
    """The child elements of an element whose XSD type holds elements only and allows any attribute
    (an event, a location, a sensor element, an error declaration, ``ilmd``): text in it is refused,
    its attributes and those of its 1.x wrappers are kept as fields of ``target``."""
    lifted: list[tuple[str, str]] = []
    stray: list[str] = []
    children = _children(element, lifted, stray)
    if stray:
        _no_text(element, names, where, errors, stray)
    if element.keys() or lifted:
        owner = owner or names.key(element.tag)[0]
        _keep_attributes((*element.items(), *lifted), names, target, where, errors, owner)
    return children


def _no_attributes(element: ET.Element, names: _Names, where: Location, errors: list[FieldError]) -> None:
    """An element whose JSON form is a plain value, a list entry or a closed object has no place for
    attributes: each one (``xsi:`` ones aside) is refused rather than dropped."""
    for attribute, _attribute_value in element.items():
        if not _is_schema_instance(attribute):
            key, _ = names.key(attribute)
            tag = names.key(element.tag)[0] if isinstance(element.tag, str) else "?"
            errors.append(
                FieldError(where, f"attribute {key!r} of <{tag}>: EPCIS 2.0 has no place for it there")
            )


def _items(
    element: ET.Element, item_tag: str, names: _Names, where: Location, errors: list[FieldError]
) -> list[ET.Element]:
    """The entries of a list element (``epcList``, ``quantityList``...): each must be an
    ``item_tag`` element; a plain value (``epc``...) without attributes or elements in it."""
    if element.keys():
        _no_attributes(element, names, where, errors)
    out: list[ET.Element] = []
    stray: list[str] = []
    text = element.text
    if text and not text.isspace():
        stray.append(text.strip())
    for item in element:
        tail = item.tail
        if tail and not tail.isspace():
            stray.append(tail.strip())
        if isinstance(item.tag, str):
            out.append(item)
    if stray:
        _no_text(element, names, where, errors, stray)
    for index, item in enumerate(out):
        if item.tag != item_tag and names.key(item.tag) != (item_tag, True):
            errors.append(
                FieldError(
                    (*where, index), f"<{names.key(item.tag)[0]}> in <{where[-1]}>: expected <{item_tag}>"
                )
            )
        elif (item.keys() or len(item)) and item_tag != "quantityElement":
            _value(item, names, (*where, index), errors)
    return out


def _sensor_fields(
    element: ET.Element, names: _Names, numbers: frozenset[str], where: Location, errors: list[FieldError]
) -> dict[str, Any]:
    """``sensorMetadata`` / ``sensorReport``: the standard fields are attributes (with any others, as
    user extensions); the element's text (the XSD types are ``xsd:string`` extended) is kept as
    ``#text``; namespaced child elements are user extensions, as the keys of the JSON form are."""
    out = _attributes(element, names, numbers)
    lifted: list[tuple[str, str]] = []
    tag = names.key(element.tag)[0]
    children = _children(element, lifted)
    for child in children:
        key, standard = names.key(child.tag)
        if standard:
            errors.append(
                FieldError((*where, key), f"<{key}> inside <{tag}>: its fields are written as attributes")
            )
        else:
            _add(out, key, _generic(child, names))
    if lifted:
        _keep_attributes(lifted, names, out, where, errors, tag)
    for child in element if children else ():
        # text after an extension element: the reference hash reads an element's text before its
        # first child only, so such text would be stored but not hashed; refused instead
        if child.tail and not child.tail.isspace():
            errors.append(
                FieldError(
                    (*where, names.key(child.tag)[0] if isinstance(child.tag, str) else tag),
                    f"text after an element inside <{tag}>: its text goes before any extension element",
                )
            )
    text = _text(element)
    if text:
        out["#text"] = text
    return out


def _sensor_element(
    element: ET.Element, names: _Names, where: Location, errors: list[FieldError]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    children = _open_children(element, names, out, where, errors, "sensorElement")
    for child in children:
        key, standard = names.key(child.tag)
        if standard and key == "sensorMetadata":
            if key in out:
                errors.append(FieldError((*where, key), "sensorMetadata appears more than once"))
            out[key] = _sensor_fields(child, names, frozenset(), (*where, key), errors)
        elif standard and key == "sensorReport":
            reports = out.setdefault(key, [])
            reports.append(_sensor_fields(child, names, _SENSOR_NUMBERS, (*where, key, len(reports)), errors))
        else:
            _add(out, key, _generic(child, names))
    return out


def _quantity(
    element: ET.Element, names: _Names, where: Location, errors: list[FieldError]
) -> dict[str, Any]:
    """A quantity element: a closed type (no extension point), so no wrapper is unwrapped in it."""
    if element.keys():
        _no_attributes(element, names, where, errors)
    _no_text(element, names, where, errors)
    out: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        key, _ = names.key(child.tag)
        text = _value(child, names, (*where, key), errors)
        if key in out:
            errors.append(FieldError((*where, key), f"{key} appears more than once"))
        if key == "quantity":
            if text:
                out[key] = _number_or_text(text)
        else:
            out[key] = text
    return out


def _location(
    element: ET.Element, names: _Names, where: Location, errors: list[FieldError]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    children = _open_children(element, names, out, where, errors)
    for child in children:
        key, standard = names.key(child.tag)
        if standard and key == "id":
            if key in out:
                errors.append(
                    FieldError((*where, key), f"{names.key(element.tag)[0]}.id appears more than once")
                )
            out[key] = (
                _value(child, names, (*where, key), errors) if child.keys() or len(child) else _text(child)
            )
        else:
            _add(out, key, _generic(child, names))
    return out


def _error_declaration(
    element: ET.Element, names: _Names, where: Location, errors: list[FieldError]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    children = _open_children(element, names, out, where, errors, "errorDeclaration")
    for child in children:
        key, standard = names.key(child.tag)
        if standard and key == "correctiveEventIDs":
            out[key] = [_text(c) for c in _items(child, "correctiveEventID", names, (*where, key), errors)]
        elif standard:
            _add(out, key, _value(child, names, (*where, key), errors))
        else:
            _add(out, key, _generic(child, names))
    return out


def _ilmd(element: ET.Element, names: _Names, where: Location, errors: list[FieldError]) -> dict[str, Any]:
    ilmd: dict[str, Any] = {}
    items = _open_children(element, names, ilmd, where, errors, "ilmd")
    for item in items:
        _add(ilmd, names.key(item.tag)[0], _generic(item, names))
    return ilmd


def _event(
    element: ET.Element, event_type: str, names: _Names, where: Location, errors: list[FieldError]
) -> dict[str, Any]:
    """The event in its JSON form; what has no place in it is refused into ``errors``."""
    event: dict[str, Any] = {"type": event_type}
    lifted: list[tuple[str, str]] = []
    stray: list[str] = []
    children = _children(element, lifted, stray)
    if stray:
        _no_text(element, names, where, errors, stray)
    for child in children:
        key, standard = names.key(child.tag)
        if not standard:
            _add(event, key, _generic(child, names))
            continue
        if key in event and key != "certificationInfo":
            errors.append(FieldError((*where, key), f"{key} appears more than once"))
        if key not in _STRUCTURED:  # a plain value (eventTime, action, bizStep...): the common case
            event[key] = (
                _value(child, names, (*where, key), errors) if child.keys() or len(child) else _text(child)
            )
            continue
        at = (*where, key)
        if key in _EPC_LISTS:
            event[key] = [_text(epc) for epc in _items(child, "epc", names, at, errors)]
        elif key in _QUANTITY_LISTS:
            entries = _items(child, "quantityElement", names, at, errors)
            event[key] = [_quantity(q, names, (*at, i), errors) for i, q in enumerate(entries)]
        elif key in _PARTY_LISTS:
            if child.keys():
                _no_attributes(child, names, at, errors)
            _no_text(child, names, at, errors)
            parties: list[dict[str, Any]] = []
            for entry in child:
                if isinstance(entry.tag, str):
                    if len(entry):
                        errors.append(
                            FieldError(
                                (*at, len(parties)),
                                f"<{names.key(entry.tag)[0]}> holds a value, not elements",
                            )
                        )
                    # every attribute and the element's own name kept, so that the checks refuse what
                    # the XSD does not allow (another attribute, another element) instead of dropping it
                    item: dict[str, Any] = {names.key(a)[0]: v for a, v in entry.items()}
                    tag = names.key(entry.tag)[0]
                    item[tag] = _text(entry)
                    parties.append(item)
            event[key] = parties
        elif key in ("readPoint", "bizLocation"):
            event[key] = _location(child, names, at, errors)
        elif key == "sensorElementList":
            list_lifted: list[tuple[str, str]] = []
            list_stray: list[str] = []
            sensor_elements = _children(child, list_lifted, list_stray)
            _no_text(child, names, at, errors, list_stray)
            if child.keys() or list_lifted:
                for attribute, _attribute_value in (*child.items(), *list_lifted):
                    if not _is_schema_instance(attribute):
                        errors.append(
                            FieldError(
                                at,
                                f"attribute {names.key(attribute)[0]!r} on sensorElementList or its "
                                "<extension>: EPCIS 2.0 has no place for it (put it on a sensorElement)",
                            )
                        )
            readings = []
            for index, sensor in enumerate(sensor_elements):
                if names.key(sensor.tag) != ("sensorElement", True):
                    errors.append(
                        FieldError(
                            (*at, index),
                            f"<{names.key(sensor.tag)[0]}> in <sensorElementList>: expected <sensorElement>",
                        )
                    )
                readings.append(_sensor_element(sensor, names, (*at, index), errors))
            event[key] = readings
        elif key == "persistentDisposition":
            if child.keys():
                _no_attributes(child, names, at, errors)
            _no_text(child, names, at, errors)
            changes: dict[str, list[str]] = {}
            for change in child:
                if isinstance(change.tag, str):
                    change_key = names.key(change.tag)[0]
                    text = _value(change, names, (*at, change_key), errors)
                    changes.setdefault(change_key, []).append(text)
            event[key] = changes
        elif key == "errorDeclaration":
            event[key] = _error_declaration(child, names, at, errors)
        elif key == "ilmd":
            event[key] = _ilmd(child, names, at, errors)
        else:  # certificationInfo, which may be given more than once
            _add(event, key, _value(child, names, at, errors))
    if element.keys() or lifted:
        _keep_attributes((*element.items(), *lifted), names, event, where, errors, event_type)
    return event


def _document_parts(root: ET.Element) -> tuple[list[ET.Element], ET.Element | None]:
    """The ``EventList`` elements of a document (in ``EPCISBody`` or a query's ``resultsBody``) and its
    ``ignoreFields`` element, if any; found without walking into the event lists (events are most of
    a document: the walk costs the header's size, not the document's)."""
    event_lists: list[ET.Element] = []
    ignore_fields: ET.Element | None = None
    stack = [root]
    while stack:
        for child in stack.pop():
            tag = child.tag
            if not isinstance(tag, str):
                continue
            local = tag.rpartition("}")[2]
            if local == "EventList":
                event_lists.append(child)
            elif local == "ignoreFields" and tag.startswith("{"):
                ignore_fields = child
            else:
                stack.append(child)
    return event_lists, ignore_fields


def _event_elements(
    event_lists: list[ET.Element], names: _Names, errors: list[FieldError]
) -> list[ET.Element]:
    """The event elements of the document's ``EventList``, its 1.x ``extension`` wrappers unwrapped
    (attributes on them belong to no event: refused); a second ``EventList`` is refused, not
    skipped (the XSD allows one)."""
    if not event_lists:
        return []
    if len(event_lists) > 1:
        errors.append(
            FieldError(("epcisBody",), f"{len(event_lists)} EventList elements: a document holds one")
        )
    lifted: list[tuple[str, str]] = []
    events = _children(event_lists[0], lifted)
    errors.extend(
        FieldError(
            ("epcisBody", "eventList"),
            f"attribute {names.key(attribute)[0]!r} on an <extension> wrapper of the EventList: "
            "it belongs to no event and EPCIS 2.0 has no place for it (put it on the events)",
        )
        for attribute, _attribute_value in lifted
        if not _is_schema_instance(attribute)
    )
    return events


def _parse_tree(data: bytes) -> tuple[ET.Element, dict[str, str]]:
    if _ENTITY_DECLARATION.search(data):
        raise ValidationFailed([FieldError((), "XML entity declarations are not accepted")])
    declared: dict[str, str] = {}
    # only the namespace declarations are events (asking for every element's start as well cost a
    # Python-level step per element, about a fortieth of the whole capture); the root comes at the end
    parse = ET.iterparse(io.BytesIO(data), events=("start-ns",))  # noqa: S314
    try:
        for _kind, (prefix, iri) in parse:
            declared.setdefault(prefix, iri)
    except ET.ParseError as exc:
        raise ValidationFailed([FieldError((), f"not well-formed XML: {exc}")]) from exc
    root: ET.Element | None = parse.root  # type: ignore[attr-defined]  # set by iterparse once done
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
    event_lists, ignore_fields = _document_parts(root)
    if ignore_fields is not None:
        header["ignoreFields"] = [names.key(c.tag)[0] for c in ignore_fields if isinstance(c.tag, str)]
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
    errors: list[FieldError] = []
    for index, element in enumerate(_event_elements(event_lists, names, errors)):
        events.append(
            _event(element, names.key(element.tag)[0], names, ("epcisBody", "eventList", index), errors)
        )
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
