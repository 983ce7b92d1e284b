"""The CBV 2.0 event hash: one syntax-independent fingerprint per EPCIS event.

The event is first turned into a small tree of ``(name, text, children)`` nodes that looks the same
whether the event came as XML or as JSON-LD (extension names as ``{namespace}local``, bare CBV
values expanded to their web vocabulary URIs, identifiers as constrained GS1 Digital Links). The
pre-hash string concatenates the tree in a fixed property order:

1. ``eventType=...``, then the standard fields in the CBV order (``eventTime`` ... ``sensorElementList``);
   a repeated field (e.g. every ``epc`` of an ``epcList``) is sorted by its rendered text;
2. inside ``readPoint``, ``bizLocation`` and the sensor elements, their user extensions follow their
   standard fields;
3. then everything else, sorted: ``bizTransactionList``, ``sourceList``, ``destinationList``, ``ilmd``
   and the top-level user extensions. ``eventID``, ``recordTime`` and ``errorDeclaration`` are left out.

Timestamps become UTC with milliseconds (``2020-03-04T10:00:30.000Z``), numbers lose trailing zeros.
The hash is SHA-256 of the UTF-8 pre-hash, written ``ni:///sha-256;<hex>?ver=CBV2.0`` (RFC 6920).
The rules and the 63 test vectors follow the GS1 reference project
(github.com/RalphTro/epcis-event-hash-generator); the code is our own.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from supplyguard.tracking.gs1_keys import normalise_gs1_uri

__all__ = ["event_hash", "event_prehash", "hash_prehash"]

Node = tuple[str, str, tuple["Node", ...]]


class _Order:
    """A property order: each field name -> (its rank, the order of its children or ``None``)."""

    __slots__ = ("positions",)

    def __init__(self, pairs: Iterable[tuple[str, _Order | None]]) -> None:
        self.positions = {name: (rank, sub) for rank, (name, sub) in enumerate(pairs)}


CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"
_CURIE_PREFIXES = {"gs1": GS1_VOC, "cbv": CBV}

_QUANTITY = _Order([("quantityElement", _Order([("epcClass", None), ("quantity", None), ("uom", None)]))])
_EPCS = _Order([("epc", None)])
_SENSOR_METADATA = _Order(
    (name, None)
    for name in (
        "time",
        "startTime",
        "endTime",
        "deviceID",
        "deviceMetadata",
        "rawData",
        "dataProcessingMethod",
        "bizRules",
    )
)
_SENSOR_REPORT = _Order(
    (name, None)
    for name in (
        "type",
        "exception",
        "deviceID",
        "deviceMetadata",
        "rawData",
        "dataProcessingMethod",
        "time",
        "microorganism",
        "chemicalSubstance",
        "value",
        "component",
        "stringValue",
        "booleanValue",
        "hexBinaryValue",
        "uriValue",
        "minValue",
        "maxValue",
        "meanValue",
        "sDev",
        "percRank",
        "percValue",
        "uom",
        "coordinateReferenceSystem",
    )
)
_EVENT_ORDER = _Order(
    [
        ("eventTime", None),
        ("eventTimeZoneOffset", None),
        ("certificationInfo", None),
        ("epcList", _EPCS),
        ("parentID", None),
        ("inputEPCList", _EPCS),
        ("childEPCs", _EPCS),
        ("quantityList", _QUANTITY),
        ("childQuantityList", _QUANTITY),
        ("inputQuantityList", _QUANTITY),
        ("outputEPCList", _EPCS),
        ("outputQuantityList", _QUANTITY),
        ("action", None),
        ("transformationID", None),
        ("bizStep", None),
        ("disposition", None),
        ("persistentDisposition", _Order([("set", None), ("unset", None)])),
        ("readPoint", _Order([("id", None)])),
        ("bizLocation", _Order([("id", None)])),
        (
            "sensorElementList",
            _Order(
                [
                    (
                        "sensorElement",
                        _Order([("sensorMetadata", _SENSOR_METADATA), ("sensorReport", _SENSOR_REPORT)]),
                    )
                ]
            ),
        ),
    ]
)
_TIME_FIELDS = frozenset({"eventTime", "time", "startTime", "endTime"})
_NOT_HASHED = frozenset(
    {"type", "eventID", "recordTime", "errorDeclaration", "comment", "rdfs:comment", "@context"}
)
_UNSORTED_MARKERS = frozenset({"bizTransaction", "source", "destination"})
_OLD_CBV_URNS = (
    ("urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", CBV + "Disp-"),
    ("urn:epcglobal:cbv:btt:", CBV + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", CBV + "SDT-"),
    ("urn:epcglobal:cbv:er:", CBV + "ER-"),
)
_EPC_LISTS = frozenset({"epcList", "childEPCs", "inputEPCList", "outputEPCList"})
_QUANTITY_LISTS = frozenset({"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"})
_PARTY_LISTS = {
    "bizTransactionList": ("bizTransaction", "BTT-"),
    "sourceList": ("source", "SDT-"),
    "destinationList": ("destination", "SDT-"),
}
_SENSOR_VOCAB = {"type": GS1_VOC, "exception": GS1_VOC, "component": CBV + "Comp-"}


# --- value canonicalisation -------------------------------------------------------------------------


def expand_vocabulary(value: str, base: str) -> str:
    """A bare CBV/GS1 value (``shipping``) as its web URI; CURIEs ``gs1:``/``cbv:`` expanded; URIs kept."""
    if ":" not in value:
        return base + value
    return expand_curie(value)


def expand_curie(value: str) -> str:
    prefix, _, local = value.partition(":")
    iri = _CURIE_PREFIXES.get(prefix)
    return iri + local if iri is not None and not local.startswith("//") else value


#: The commonest captured times: already UTC, whole seconds or up to milliseconds. Their normal form
#: is their own text (``T`` separator, fraction padded to 3 digits, ``Z``); years before 1000 excluded.
_PLAIN_UTC = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d{1,3}))?(?:Z|[+-]00:00)")


def normalise_timestamp(text: str) -> str:
    """ISO 8601 date-time to UTC with millisecond precision and ``Z``; unparseable text unchanged."""
    plain = _PLAIN_UTC.fullmatch(text)
    if plain is not None:
        try:
            datetime.fromisoformat(text)  # still a real date (no 31 February)
        except ValueError:
            return text
        return text[:19] + "." + (plain.group(1) or "").ljust(3, "0") + "Z"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    millis = round(moment.microsecond, -3)
    base = moment.replace(microsecond=0)
    if millis == 1_000_000:
        base = base + timedelta(seconds=1)
        millis = 0
    # isoformat is strftime's text for 4-digit years (strftime does not pad years before 1000)
    whole = base.replace(tzinfo=None).isoformat() if base.year >= 1000 else base.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{millis // 1000:03d}Z"


_NUMBER_START = frozenset("+-.0123456789iInN_")


def _canonical_number(text: str) -> str:
    if not text or text[0] not in _NUMBER_START:
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    if math.isfinite(number) and number == int(number):
        return str(int(number))
    return str(number)


@lru_cache(maxsize=131072)
def canonical_value(text: str) -> str:
    """Old CBV URNs to web URIs, numbers without trailing zeros, GS1 identifiers as Digital Links."""
    for urn, uri in _OLD_CBV_URNS:
        if urn in text:
            text = text.replace(urn, uri)
    text = _canonical_number(text)
    return normalise_gs1_uri(text) or text


# --- JSON event -> node tree ------------------------------------------------------------------------


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def expand_key(key: str, namespaces: Mapping[str, str]) -> str:
    prefix, sep, local = key.partition(":")
    if sep and prefix in namespaces:
        return "{" + namespaces[prefix] + "}" + local
    return key


def _generic_nodes(key: str, value: object, namespaces: Mapping[str, str]) -> list[Node]:
    name = expand_key(key, namespaces)
    if isinstance(value, list):
        nodes: list[Node] = []
        for item in value:
            nodes.extend(_generic_nodes(key, item, namespaces))
        return nodes
    if isinstance(value, dict):
        text = _scalar_text(value.get("#text", value.get("@value")))
        children: list[Node] = []
        for child_key, child_value in value.items():
            if child_key != "#text" and child_key not in _NOT_HASHED and not child_key.startswith("@"):
                children.extend(_generic_nodes(child_key, child_value, namespaces))
        return [(name, text, tuple(children))]
    text = _scalar_text(value)
    if isinstance(value, str):
        text = expand_curie(text)
    return [(name, text, ())]


def _dict_children(
    value: object, namespaces: Mapping[str, str], vocab: Mapping[str, str] | None = None
) -> tuple[Node, ...]:
    if not isinstance(value, dict):
        return ()
    children: list[Node] = []
    for key, item in value.items():
        if vocab and key in vocab and isinstance(item, str):
            children.append((key, expand_vocabulary(item, vocab[key]), ()))
        elif key not in _NOT_HASHED and not key.startswith("@") and key != "#text":
            children.extend(_generic_nodes(key, item, namespaces))
    return tuple(children)


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _own_text(value: object) -> str:
    return _scalar_text(value.get("#text")) if isinstance(value, dict) else ""


def _sensor_element(element: object, namespaces: Mapping[str, str]) -> Node:
    children: list[Node] = []
    if isinstance(element, dict):
        for key, value in element.items():
            # an XML sensorMetadata / sensorReport's own text ("#text") is its node's text, as the
            # reference algorithm reads any element: "sensorReport=<text>" before its fields
            if key == "sensorMetadata":
                children.append(("sensorMetadata", _own_text(value), _dict_children(value, namespaces)))
            elif key == "sensorReport":
                for report in _as_list(value):
                    children.append(
                        ("sensorReport", _own_text(report), _dict_children(report, namespaces, _SENSOR_VOCAB))
                    )
            elif key not in _NOT_HASHED and not key.startswith("@"):
                children.extend(_generic_nodes(key, value, namespaces))
    return ("sensorElement", "", tuple(children))


_PLAIN_FIELDS = frozenset({"eventTime", "eventTimeZoneOffset", "action", "parentID", "transformationID"})


def _field_nodes(key: str, value: object, namespaces: Mapping[str, str]) -> list[Node]:
    if key in _PLAIN_FIELDS and isinstance(value, str):
        return [(key, value, ())]
    if key in _EPC_LISTS:
        return [(key, "", tuple(("epc", _scalar_text(epc), ()) for epc in _as_list(value)))]
    if key in _QUANTITY_LISTS:
        elements = tuple(("quantityElement", "", _dict_children(q, namespaces)) for q in _as_list(value))
        return [(key, "", elements)]
    if key in _PARTY_LISTS:
        value_key, vocab = _PARTY_LISTS[key]
        entries: list[Node] = []
        for entry in _as_list(value):
            if not isinstance(entry, dict):
                continue
            parts: list[Node] = []
            if isinstance(entry.get("type"), str):
                parts.append(("type", expand_vocabulary(entry["type"], CBV + vocab), ()))
            parts.append((value_key, _scalar_text(entry.get(value_key)), ()))
            entries.append(("", "", tuple(parts)))
        return [(key, "", tuple(entries))]
    if key in ("bizStep", "disposition") and isinstance(value, str):
        return [(key, expand_vocabulary(value, CBV + ("BizStep-" if key == "bizStep" else "Disp-")), ())]
    if key == "persistentDisposition" and isinstance(value, dict):
        changes = tuple(
            (change, expand_vocabulary(_scalar_text(item), CBV + "Disp-"), ())
            for change in ("set", "unset")
            for item in _as_list(value.get(change))
        )
        return [(key, "", changes)]
    if key in ("readPoint", "bizLocation"):
        return [(key, "", _dict_children(value, namespaces))]
    if key == "sensorElementList":
        return [(key, "", tuple(_sensor_element(element, namespaces) for element in _as_list(value)))]
    return _generic_nodes(key, value, namespaces)


def event_nodes(event: Mapping[str, Any], namespaces: Mapping[str, str]) -> list[Node]:
    """The hash tree of an EPCIS 2.0 JSON event (``namespaces``: prefix -> IRI of its extensions)."""
    nodes: list[Node] = []
    for key, value in event.items():
        if key in _NOT_HASHED or key.startswith("@"):
            continue
        nodes.extend(_field_nodes(key, value, namespaces))
    return nodes


# --- node tree -> pre-hash string -------------------------------------------------------------------


def _render_generic(nodes: Sequence[Node]) -> str:
    rendered = []
    for name, text, children in nodes:
        if name == "":
            rendered.append(_render_generic(children))
            continue
        text = text.strip()
        rendered.append(name + ("=" + canonical_value(text) if text else "") + _render_generic(children))
    if len(nodes) > 1 and not any(node[0] in _UNSORTED_MARKERS for node in nodes):
        rendered.sort()
    return "".join(rendered)


def _render_ordered(nodes: Sequence[Node], order: _Order, top: bool) -> tuple[str, list[Node]]:
    """Render ``nodes`` in ``order``; return the text and the nodes (or parts) not consumed."""
    extensions: list[Node] = []
    if not top and len(nodes) > 1:
        extensions = [node for node in nodes if node[0].startswith("{")]
        if extensions:
            nodes = [node for node in nodes if not node[0].startswith("{")]
    positions = order.positions
    groups: dict[str, list[Node]] = {}
    leftovers: list[Node] = []
    for node in nodes:
        if node[0] in positions:
            groups.setdefault(node[0], []).append(node)
        else:
            leftovers.append(node)
    out: list[str] = []
    for name in sorted(groups, key=lambda n: positions[n][0]):
        sub_order = positions[name][1]
        values: list[str] = []
        for node in groups[name]:
            rendered, rest = _render_child(node, sub_order)
            if rendered:
                values.append(rendered)
            if rest is not None:
                leftovers.append(rest)
        values.sort()
        out.extend(values)
    if extensions:
        out.append(_render_generic(extensions))
    return "".join(out), leftovers


def _render_child(node: Node, sub_order: _Order | None) -> tuple[str, Node | None]:
    name, text, children = node
    if sub_order is None and not children:
        text = text.strip()
        if not text:
            return "", None
        return name + "=" + (
            normalise_timestamp(text) if name in _TIME_FIELDS else canonical_value(text)
        ), None
    inner = ""
    remaining: Sequence[Node] = children
    if sub_order is not None:
        inner, remaining = _render_ordered(children, sub_order, top=False)
    text = text.strip()
    if text:
        text = normalise_timestamp(text) if name in _TIME_FIELDS else canonical_value(text)
    rendered = name + ("=" + text if text else "") + inner if (text or inner) else ""
    rest = (name, node[1], tuple(remaining)) if remaining else None
    return rendered, rest


def event_prehash(
    event_type: str,
    event: Mapping[str, Any],
    namespaces: Mapping[str, str],
    ignored_fields: frozenset[str] = frozenset(),
) -> str:
    """The CBV 2.0 canonical pre-hash string of one EPCIS event in its JSON form.

    ``ignored_fields`` are extension names (``{iri}local``) a document asked to leave out.
    """
    if ignored_fields:
        event = {k: v for k, v in event.items() if expand_key(k, namespaces) not in ignored_fields}
    else:
        fast = _fast_prehash(event_type, event, namespaces)
        if fast is not None:
            return fast
    return _slow_prehash(event_type, event, namespaces)


def _slow_prehash(event_type: str, event: Mapping[str, Any], namespaces: Mapping[str, str]) -> str:
    """The general pre-hash: the event's node tree rendered in the CBV order."""
    ordered, leftovers = _render_ordered(event_nodes(event, namespaces), _EVENT_ORDER, top=True)
    return "eventType=" + event_type + ordered + _render_generic(leftovers)


# --- fast path --------------------------------------------------------------------------------------
# Most captured events only carry flat standard fields (times, EPC lists, action, bizStep,
# disposition, readPoint/bizLocation ids, quantity elements of epcClass/quantity/uom). For those the
# pre-hash is written straight from the JSON, in the CBV order, without building the node tree; the
# fields the fast path does not know (bizTransactionList, extensions, ...) are rendered by the
# general code exactly as the slow path renders its leftovers. Anything else in a standard field
# (a nested extension, a non-string identifier, a sensor element, ...) sends the whole event down the
# slow path. tests/unit/tracking/test_event_hash_fast_path.py checks both paths agree.

_FAST_TEXT = 0  # a string, canonicalised
_FAST_TIME = 1  # a timestamp
_FAST_EPCS = 2  # a list of strings, each "epc=", sorted
_FAST_LOCATION = 3  # {"id": string}
_FAST_BIZ_STEP = 4
_FAST_DISPOSITION = 5
_FAST_QUANTITIES = 6  # a list of {epcClass, quantity, uom}

_FAST_FIELDS: tuple[tuple[str, int], ...] = (
    ("eventTime", _FAST_TIME),
    ("eventTimeZoneOffset", _FAST_TEXT),
    ("epcList", _FAST_EPCS),
    ("parentID", _FAST_TEXT),
    ("inputEPCList", _FAST_EPCS),
    ("childEPCs", _FAST_EPCS),
    ("quantityList", _FAST_QUANTITIES),
    ("childQuantityList", _FAST_QUANTITIES),
    ("inputQuantityList", _FAST_QUANTITIES),
    ("outputEPCList", _FAST_EPCS),
    ("outputQuantityList", _FAST_QUANTITIES),
    ("action", _FAST_TEXT),
    ("transformationID", _FAST_TEXT),
    ("bizStep", _FAST_BIZ_STEP),
    ("disposition", _FAST_DISPOSITION),
    ("readPoint", _FAST_LOCATION),
    ("bizLocation", _FAST_LOCATION),
)
_FAST_KINDS = dict(_FAST_FIELDS)
_FAST_SPECS = {name: (rank, kind) for rank, (name, kind) in enumerate(_FAST_FIELDS)}
# standard fields of the CBV order the fast path leaves to the slow one
_SLOW_FIELDS = frozenset(_EVENT_ORDER.positions) - frozenset(_FAST_KINDS)
_QUANTITY_KEYS = ("epcClass", "quantity", "uom")
_QUANTITY_KEY_SET = frozenset(_QUANTITY_KEYS)


def _fast_scalar(value: object) -> str | None:
    """The text of a JSON scalar as the slow path renders it (``None``: not a scalar)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def _fast_quantities(value: object) -> str | None:
    if not isinstance(value, list):
        return None
    rendered: list[str] = []
    for element in value:
        if not isinstance(element, dict) or not _QUANTITY_KEY_SET.issuperset(element):
            return None
        parts: list[str] = []
        for key in _QUANTITY_KEYS:
            if key in element:
                item = element[key]
                if isinstance(item, str):
                    text = expand_curie(item).strip()
                else:
                    scalar = _fast_scalar(item)
                    if scalar is None:
                        return None
                    text = scalar.strip()
                if text:
                    parts.append(key + "=" + canonical_value(text))
        if parts:
            rendered.append("quantityElement" + "".join(parts))
    rendered.sort()
    return "".join(rendered)


def _fast_field(kind: int, name: str, value: object) -> str | None:
    """The rendered field (possibly ``""``), or ``None`` when the slow path must do it."""
    if kind == _FAST_EPCS:
        if not isinstance(value, list):
            return None
        epcs: list[str] = []
        for item in value:
            if not isinstance(item, str):
                return None
            item = item.strip()
            if item:
                epcs.append("epc=" + canonical_value(item))
        epcs.sort()
        return name + "".join(epcs) if epcs else ""
    if kind == _FAST_LOCATION:
        if not isinstance(value, dict) or len(value) != 1:
            return None
        ident = value.get("id")
        if not isinstance(ident, str):
            return None
        text = expand_curie(ident).strip()
        return name + "id=" + canonical_value(text) if text else ""
    if kind == _FAST_QUANTITIES:
        quantities = _fast_quantities(value)
        if quantities is None:
            return None
        return name + quantities if quantities else ""
    if not isinstance(value, str):
        return None
    if kind == _FAST_BIZ_STEP:
        value = expand_vocabulary(value, CBV + "BizStep-")
    elif kind == _FAST_DISPOSITION:
        value = expand_vocabulary(value, CBV + "Disp-")
    text = value.strip()
    if not text:
        return ""
    return name + "=" + (normalise_timestamp(text) if kind == _FAST_TIME else canonical_value(text))


#: Rendered fragments of string-valued fields, by (field, value): a document repeats the same
#: action, bizStep, disposition and locations across its events. Cleared when it grows large.
_FRAGMENTS: dict[tuple[str, str], str] = {}
_MAX_FRAGMENTS = 65536
_MEMO_KINDS = frozenset({_FAST_TEXT, _FAST_BIZ_STEP, _FAST_DISPOSITION})


def _fragment(kind: int, key: str, value: str) -> str:
    """The rendered field of a string value (``kind`` text, bizStep, disposition or a location id)."""
    found = _FRAGMENTS.get((key, value))
    if found is None:
        if kind == _FAST_LOCATION:
            text = expand_curie(value).strip()
            found = key + "id=" + canonical_value(text) if text else ""
        else:
            rendered = _fast_field(kind, key, value)
            assert rendered is not None  # a string always renders
            found = rendered
        if len(_FRAGMENTS) >= _MAX_FRAGMENTS:
            _FRAGMENTS.clear()
        _FRAGMENTS[(key, value)] = found
    return found


_NO_PARTS = ("",) * len(_FAST_FIELDS)


def _fast_prehash(event_type: str, event: Mapping[str, Any], namespaces: Mapping[str, str]) -> str | None:
    """The pre-hash of a flat event written directly, or ``None`` when the event needs the slow path."""
    leftovers: list[Node] | None = None
    parts = list(_NO_PARTS)  # by CBV rank: each standard field at most once (a JSON object's keys)
    specs = _FAST_SPECS
    fragments = _FRAGMENTS
    for key, value in event.items():
        spec = specs.get(key)
        if spec is None:
            if key in _NOT_HASHED or key.startswith("@"):
                continue
            if key in _SLOW_FIELDS:
                return None
            if leftovers is None:
                leftovers = []
            leftovers.extend(_field_nodes(key, value, namespaces))
            continue
        rank, kind = spec
        rendered: str | None
        value_type = type(value)
        if value_type is str and kind in _MEMO_KINDS:
            rendered = fragments.get((key, value))
            if rendered is None:
                rendered = _fragment(kind, key, value)
        elif kind == _FAST_LOCATION and value_type is dict and len(value) == 1:
            ident = value.get("id")
            if type(ident) is not str:
                return None
            rendered = fragments.get((key, ident))
            if rendered is None:
                rendered = _fragment(kind, key, ident)
        elif kind == _FAST_EPCS and value_type is list:
            epcs: list[str] = []
            for item in value:
                if type(item) is not str:
                    return None
                item = item.strip()
                if item:
                    epcs.append("epc=" + canonical_value(item))
            if len(epcs) > 1:
                epcs.sort()
            rendered = key + "".join(epcs) if epcs else ""
        else:
            rendered = _fast_field(kind, key, value)
            if rendered is None:
                return None
        parts[rank] = rendered
    out = "eventType=" + event_type + "".join(parts)
    return out + _render_generic(leftovers) if leftovers else out


def hash_prehash(prehash: str) -> str:
    return "ni:///sha-256;" + hashlib.sha256(prehash.encode("utf-8")).hexdigest() + "?ver=CBV2.0"


def event_hash(
    event_type: str,
    event: Mapping[str, Any],
    namespaces: Mapping[str, str],
    ignored_fields: frozenset[str] = frozenset(),
) -> str:
    """``ni:///sha-256;<hex>?ver=CBV2.0`` of one EPCIS event in its JSON form."""
    return hash_prehash(event_prehash(event_type, event, namespaces, ignored_fields))
