"""The EU consolidated financial sanctions list (FSF XML, ``<export>`` of ``<sanctionEntity>``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from supplyguard.errors import ListSourceError
from supplyguard.screening.entries import (
    Address,
    Alias,
    EntityKind,
    Identifier,
    ListEntry,
    ListMetadata,
    ListSnapshot,
)
from supplyguard.screening.readers.common import read_bytes, script_of, sha256_of

_NS = "{http://eu.europa.ec/fpi/fsd/export}"
_KINDS = {"person": EntityKind.PERSON, "enterprise": EntityKind.ORGANISATION}


def _country(node: ET.Element) -> str:
    code = node.get("countryIso2Code", "")
    return code if code and code != "00" else ""


def _entry(node: ET.Element) -> ListEntry:
    logical_id = node.get("logicalId", "")
    subject = node.find(f"{_NS}subjectType")
    kind = _KINDS.get(subject.get("code", "") if subject is not None else "", EntityKind.UNKNOWN)
    names = [
        Alias(a.get("wholeName", "").strip(), "aka", "strong" if a.get("strong") == "true" else "weak")
        for a in node.findall(f"{_NS}nameAlias")
        if a.get("wholeName", "").strip()
    ]
    if not logical_id or not names:
        raise ValueError(f"sanctionEntity {logical_id or '?'} has no id or no name")
    names = [Alias(a.name, a.kind, a.quality, script_of(a.name)) for a in names]
    dates = [b.get("birthdate", "") or b.get("year", "") for b in node.findall(f"{_NS}birthdate")]
    countries = [_country(c) for c in node.findall(f"{_NS}citizenship")]
    identifiers = [
        Identifier(
            i.get("identificationTypeDescription", "") or i.get("identificationTypeCode", ""),
            i.get("number", ""),
            _country(i),
        )
        for i in node.findall(f"{_NS}identification")
        if i.get("number")
    ]
    addresses = []
    for a in node.findall(f"{_NS}address"):
        parts = [a.get(k, "") for k in ("street", "city", "zipCode", "countryDescription")]
        text = ", ".join(p for p in parts if p and p != "UNKNOWN")
        if text:
            addresses.append(Address(text, _country(a)))
    programs = [r.get("programme", "") for r in node.findall(f"{_NS}regulation") if r.get("programme")]
    remarks = " ".join((r.text or "").strip() for r in node.findall(f"{_NS}remark"))
    return ListEntry(
        list_id="eu-fsf",
        entity_id=logical_id,
        kind=kind,
        name=names[0].name,
        aliases=tuple(names[1:]),
        dates_of_birth=tuple(d for d in dates if d),
        countries=tuple(dict.fromkeys(c for c in countries if c)),
        identifiers=tuple(identifiers),
        addresses=tuple(addresses),
        programs=tuple(dict.fromkeys(programs)),
        remarks=remarks,
    )


def read_eu_xml(path: Path) -> ListSnapshot:
    data = read_bytes(path)
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise ListSourceError(str(path), "DTDs and entity declarations are refused in list files")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD or entity can reach the parser (see un.py)
    except ET.ParseError as exc:
        raise ListSourceError(str(path), f"broken XML ({exc}); file cut short?") from exc
    if root.tag != f"{_NS}export":
        raise ListSourceError(str(path), f"root element <{root.tag}> is not the EU <export>")
    try:
        entries = [_entry(n) for n in root.findall(f"{_NS}sanctionEntity")]
    except ValueError as exc:
        raise ListSourceError(str(path), str(exc)) from exc
    if not entries:
        raise ListSourceError(str(path), "no sanctionEntity in the list")
    meta = ListMetadata(
        "eu-fsf",
        str(path),
        "eu-xml",
        root.get("generationDate", "")[:10],
        len(entries),
        sha256_of([data]),
        (path.name,),
    )
    return ListSnapshot(meta, tuple(entries))
