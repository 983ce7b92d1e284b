"""The UN Security Council consolidated list (XML, ``CONSOLIDATED_LIST``)."""

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


def _text(node: ET.Element | None, tag: str) -> str:
    if node is None:
        return ""
    child = node.find(tag)
    return (child.text or "").strip() if child is not None and child.text else ""


def _values(node: ET.Element, tag: str) -> list[str]:
    return [
        (v.text or "").strip()
        for n in node.findall(tag)
        for v in n.findall("VALUE")
        if (v.text or "").strip()
    ]


def _dob(node: ET.Element) -> str:
    date = _text(node, "DATE")
    if date:
        return date[:10]
    year = _text(node, "YEAR")
    if year:
        return year
    start, end = _text(node, "FROM_YEAR"), _text(node, "TO_YEAR")
    return f"{start}..{end}" if start and end else ""


def _entry(node: ET.Element, person: bool) -> ListEntry:
    dataid = _text(node, "DATAID")
    if not dataid:
        raise ValueError("an entry without DATAID")
    parts = [_text(node, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    name = " ".join(p for p in parts if p)
    if not name:
        raise ValueError(f"entry {dataid} has no name")
    aliases: list[Alias] = []
    original = _text(node, "NAME_ORIGINAL_SCRIPT")
    if original:
        aliases.append(Alias(original, "original-script", "strong", script_of(original)))
    alias_tag = "INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS"
    for alias in node.findall(alias_tag):
        alias_name = _text(alias, "ALIAS_NAME")
        if alias_name:
            quality = _text(alias, "QUALITY").lower()
            aliases.append(
                Alias(
                    alias_name,
                    "aka",
                    "weak" if quality in ("low", "weak") else "strong",
                    script_of(alias_name),
                )
            )
    addresses: list[Address] = []
    address_tag = "INDIVIDUAL_ADDRESS" if person else "ENTITY_ADDRESS"
    for addr in node.findall(address_tag):
        fields = [_text(addr, t) for t in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")]
        text = ", ".join(f for f in fields if f)
        if text:
            addresses.append(Address(text, _text(addr, "COUNTRY")))
    identifiers = []
    for doc in node.findall("INDIVIDUAL_DOCUMENT"):
        number = _text(doc, "NUMBER")
        if number:
            country = _text(doc, "ISSUING_COUNTRY") or _text(doc, "COUNTRY_OF_ISSUE")
            identifiers.append(Identifier(_text(doc, "TYPE_OF_DOCUMENT") or "Document", number, country))
    dobs = [d for d in (_dob(n) for n in node.findall("INDIVIDUAL_DATE_OF_BIRTH")) if d]
    countries = _values(node, "NATIONALITY")
    if not person:
        countries += [a.country for a in addresses if a.country]
    return ListEntry(
        list_id="un-sc",
        entity_id=dataid,
        kind=EntityKind.PERSON if person else EntityKind.ORGANISATION,
        name=name,
        aliases=tuple(aliases),
        dates_of_birth=tuple(dobs),
        countries=tuple(dict.fromkeys(countries)),
        identifiers=tuple(identifiers),
        addresses=tuple(addresses),
        programs=tuple(p for p in (_text(node, "UN_LIST_TYPE"),) if p),
        remarks=_text(node, "COMMENTS1"),
    )


def read_un_xml(path: Path) -> ListSnapshot:
    data = read_bytes(path)
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise ListSourceError(str(path), "DTDs and entity declarations are refused in list files")
    try:
        # No DTD or entity can reach the parser (refused above) and ElementTree never fetches
        # external resources, so the stdlib parser is safe here without defusedxml.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise ListSourceError(str(path), f"broken XML ({exc}); file cut short?") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListSourceError(str(path), f"root element <{root.tag}> is not <CONSOLIDATED_LIST>")
    entries: list[ListEntry] = []
    try:
        entries.extend(_entry(n, True) for n in root.iter("INDIVIDUAL"))
        entries.extend(_entry(n, False) for n in root.iter("ENTITY"))
    except ValueError as exc:
        raise ListSourceError(str(path), str(exc)) from exc
    if not entries:
        raise ListSourceError(str(path), "no INDIVIDUAL or ENTITY in the list")
    meta = ListMetadata(
        list_id="un-sc",
        source=str(path),
        format="un-xml",
        list_date=root.get("dateGenerated", "")[:10],
        entry_count=len(entries),
        content_sha256=sha256_of([data]),
        files=(path.name,),
    )
    return ListSnapshot(meta, tuple(entries))
