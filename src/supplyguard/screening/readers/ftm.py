"""FollowTheMoney JSON lines (OpenSanctions exports) and the Senzing JSON lines export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from supplyguard.screening.readers.common import decode_text, read_bytes, script_of, sha256_of

_SCHEMAS = {
    "Person": EntityKind.PERSON,
    "Organization": EntityKind.ORGANISATION,
    "Company": EntityKind.ORGANISATION,
    "LegalEntity": EntityKind.ORGANISATION,
    "PublicBody": EntityKind.ORGANISATION,
    "Vessel": EntityKind.VESSEL,
    "Airplane": EntityKind.AIRCRAFT,
}
_ID_PROPS = {
    "passportNumber": "Passport",
    "idNumber": "National ID",
    "registrationNumber": "Registration Number",
    "imoNumber": "IMO",
    "innCode": "INN",
    "taxNumber": "Tax ID",
    "ogrnCode": "OGRN",
    "leiCode": "LEI",
    "swiftBic": "SWIFT/BIC",
    "mmsi": "MMSI",
    "callSign": "Call Sign",
}


def _records(path: Path, text: str) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ListSourceError(
                str(path), f"line {number}: broken JSON ({exc.msg}); file cut short?"
            ) from exc
        if not isinstance(record, dict):
            raise ListSourceError(str(path), f"line {number}: not a JSON object")
        yield record


def read_ftm_json(path: Path, list_id: str | None = None) -> ListSnapshot:
    data = read_bytes(path)
    records = list(_records(path, decode_text(path, data, legacy="utf-8")))
    if records and "RECORD_ID" in records[0]:
        return _read_senzing(path, data, records, list_id)
    by_id = {str(r.get("id")): r for r in records}
    entries: list[ListEntry] = []
    datasets: set[str] = set()
    for record in records:
        schema = record.get("schema")
        if schema is None or "properties" not in record:
            raise ListSourceError(str(path), f"record {record.get('id')!r} has no schema or properties")
        kind = _SCHEMAS.get(str(schema))
        if kind is None:
            continue
        props: dict[str, list[str]] = record["properties"]
        datasets.update(record.get("datasets", []))
        names = [str(n) for n in props.get("name", [])]
        if not names:
            joined = " ".join(props.get("firstName", [])[:1] + props.get("lastName", [])[:1])
            names = [joined] if joined.strip() else []
        if not names:
            continue
        aliases = [Alias(n, "aka", "strong", script_of(n)) for n in names[1:]]
        aliases += [Alias(str(n), "aka", "strong", script_of(str(n))) for n in props.get("alias", [])]
        aliases += [Alias(str(n), "fka", "strong", script_of(str(n))) for n in props.get("previousName", [])]
        aliases += [Alias(str(n), "aka", "weak", script_of(str(n))) for n in props.get("weakAlias", [])]
        identifiers = [
            Identifier(label, str(v)) for prop, label in _ID_PROPS.items() for v in props.get(prop, [])
        ]
        addresses = [Address(str(a)) for a in props.get("address", [])]
        for ref in props.get("addressEntity", []):
            target = by_id.get(str(ref))
            if target:
                tprops = target.get("properties", {})
                full = (tprops.get("full") or [""])[0]
                country = (tprops.get("country") or [""])[0]
                if full:
                    addresses.append(Address(str(full), str(country)))
        countries = [
            str(c)
            for key in ("nationality", "citizenship", "country", "jurisdiction")
            for c in props.get(key, [])
        ]
        entries.append(
            ListEntry(
                list_id=list_id or "opensanctions",
                entity_id=str(record.get("id")),
                kind=kind,
                name=names[0],
                aliases=tuple(aliases),
                dates_of_birth=tuple(str(d) for d in props.get("birthDate", [])),
                countries=tuple(dict.fromkeys(countries)),
                identifiers=tuple(identifiers),
                addresses=tuple(addresses),
                programs=tuple(str(p) for p in props.get("program", []))
                + tuple(sorted(record.get("datasets", []))),
                remarks=" ".join(str(n) for n in props.get("notes", [])),
            )
        )
    if not entries:
        raise ListSourceError(str(path), "no person, organisation, vessel or aircraft in the file")
    meta = ListMetadata(
        list_id or "opensanctions",
        str(path),
        "ftm-json",
        "",
        len(entries),
        sha256_of([data]),
        (path.name,),
    )
    return ListSnapshot(meta, tuple(entries))


def _read_senzing(
    path: Path, data: bytes, records: list[dict[str, Any]], list_id: str | None
) -> ListSnapshot:
    source = str(records[0].get("DATA_SOURCE", "senzing")).lower().replace("_", "-")
    list_id = list_id or source
    entries: list[ListEntry] = []
    dates: list[str] = []
    for record in records:
        names = []
        for name in record.get("NAMES", []):
            full = (
                name.get("NAME_FULL")
                or name.get("NAME_ORG")
                or " ".join(
                    name.get(k, "") for k in ("NAME_FIRST", "NAME_MIDDLE", "NAME_LAST") if name.get(k)
                )
            )
            if full:
                names.append(str(full))
        if not names:
            continue
        kind = EntityKind.PERSON if record.get("RECORD_TYPE") == "PERSON" else EntityKind.ORGANISATION
        dates.append(str(record.get("LAST_CHANGE", "")))
        entries.append(
            ListEntry(
                list_id=list_id,
                entity_id=str(record["RECORD_ID"]),
                kind=kind,
                name=names[0],
                aliases=tuple(Alias(n, "aka", "strong", script_of(n)) for n in names[1:]),
                dates_of_birth=tuple(
                    str(d["DATE_OF_BIRTH"]) for d in record.get("DATES", []) if "DATE_OF_BIRTH" in d
                ),
                countries=tuple(str(v) for c in record.get("COUNTRIES", []) for v in c.values()),
                programs=tuple(str(r.get("TOPIC")) for r in record.get("RISKS", [])),
            )
        )
    if not entries:
        raise ListSourceError(str(path), "no named records in the file")
    meta = ListMetadata(
        list_id, str(path), "senzing-json", max(dates)[:10], len(entries), sha256_of([data]), (path.name,)
    )
    return ListSnapshot(meta, tuple(entries))
