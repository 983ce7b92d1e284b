"""Tabular lists: the trade.gov Consolidated Screening List CSV, the BIS Denied Persons List
(tab-separated) and the UK OFSI consolidated CSV."""

from __future__ import annotations

import csv
import hashlib
import io
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
from supplyguard.screening.readers.common import decode_text, read_bytes, script_of, sha256_of

_CSL_REQUIRED = {"source", "name", "alt_names", "addresses"}
_CSL_KINDS = {"individual": EntityKind.PERSON, "entity": EntityKind.ORGANISATION, "vessel": EntityKind.VESSEL}


def _dict_rows(path: Path, text: str, delimiter: str, required: set[str]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter, strict=True)
    header = set(reader.fieldnames or ())
    missing = required - header
    if missing:
        raise ListSourceError(str(path), f"missing columns: {', '.join(sorted(missing))}")
    rows: list[dict[str, str]] = []
    try:
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise ListSourceError(
                    str(path),
                    f"line {reader.line_num}: wrong number of fields (file cut short or not this format)",
                )
            rows.append(row)
    except csv.Error as exc:
        raise ListSourceError(
            str(path), f"line {reader.line_num}: broken CSV ({exc}); file cut short?"
        ) from exc
    return rows


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _meta(list_id: str, path: Path, fmt: str, data: bytes, count: int, date: str = "") -> ListMetadata:
    return ListMetadata(list_id, str(path), fmt, date, count, sha256_of([data]), (path.name,))


def read_csl_csv(path: Path) -> ListSnapshot:
    """trade.gov CSL: one row per entry, ``;``-separated alt names, addresses, ids ``Type, number, CC``."""
    data = read_bytes(path)
    rows = _dict_rows(path, decode_text(path, data, legacy="utf-8"), ",", _CSL_REQUIRED)
    entries: list[ListEntry] = []
    for line, row in enumerate(rows, start=2):
        name = row["name"].strip()
        if not name:
            raise ListSourceError(str(path), f"line {line}: entry without a name")
        entity_id = (row.get("entity_number") or "").strip() or (row.get("_id") or "").strip()
        if not entity_id:
            entity_id = hashlib.sha256(f"{row['source']}|{name}".encode()).hexdigest()[:16]
        identifiers = []
        for chunk in _split(row.get("ids", "")):
            parts = [p.strip() for p in chunk.split(",")]
            if len(parts) >= 2 and parts[1] and not parts[0].endswith(":"):
                if parts[0] in ("Gender", "Website", "Email Address"):
                    continue
                identifiers.append(Identifier(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
        addresses = [
            Address(a, a.rsplit(",", 1)[-1].strip() if "," in a else a) for a in _split(row["addresses"])
        ]
        countries = _split(row.get("nationalities", "")) + _split(row.get("citizenships", ""))
        kind = _CSL_KINDS.get((row.get("type") or "").strip().lower(), EntityKind.UNKNOWN)
        if kind is not EntityKind.PERSON:
            countries += [a.country for a in addresses if len(a.country) == 2]
        alt = [a.removeprefix("and ").strip() for a in _split(row["alt_names"])]
        entries.append(
            ListEntry(
                list_id="us-csl",
                entity_id=entity_id,
                kind=kind,
                name=name,
                aliases=tuple(Alias(a, "aka", "strong", script_of(a)) for a in alt if a),
                dates_of_birth=tuple(_split(row.get("dates_of_birth", ""))),
                countries=tuple(dict.fromkeys(countries)),
                identifiers=tuple(identifiers),
                addresses=tuple(addresses),
                programs=tuple([row["source"].strip(), *_split(row.get("programs", ""))]),
                remarks=(row.get("remarks") or "").strip(),
            )
        )
    if not entries:
        raise ListSourceError(str(path), "no entries in the file")
    return ListSnapshot(_meta("us-csl", path, "csl-csv", data, len(entries)), tuple(entries))


def read_bis_dpl(path: Path) -> ListSnapshot:
    """BIS Denied Persons List, tab-separated with quoted fields; no list id of its own."""
    data = read_bytes(path)
    rows = _dict_rows(path, decode_text(path, data), "\t", {"Name", "Street_Address", "City", "Country"})
    entries: list[ListEntry] = []
    for line, row in enumerate(rows, start=2):
        name = row["Name"].strip()
        if not name:
            raise ListSourceError(str(path), f"line {line}: entry without a name")
        parts = [
            row[k].strip()
            for k in ("Street_Address", "City", "State", "Postal_Code", "Country")
            if row.get(k)
        ]
        country = row["Country"].strip()
        entity_id = hashlib.sha256(
            f"{name}|{row.get('Effective_Date', '')}|{','.join(parts)}".encode()
        ).hexdigest()
        entries.append(
            ListEntry(
                list_id="bis-dpl",
                entity_id=entity_id[:16],
                kind=EntityKind.UNKNOWN,
                name=name,
                countries=(country,) if country else (),
                addresses=(Address(", ".join(p for p in parts if p), country),),
                programs=("DPL",),
                remarks=(row.get("FR_Citation") or "").strip(),
            )
        )
    if not entries:
        raise ListSourceError(str(path), "no entries in the file")
    return ListSnapshot(_meta("bis-dpl", path, "bis-dpl", data, len(entries)), tuple(entries))


def read_uk_ofsi_csv(path: Path) -> ListSnapshot:
    """UK OFSI consolidated list CSV: a ``Last Updated`` line, then one row per name, grouped by Group ID."""
    data = read_bytes(path)
    text = decode_text(path, data)
    first, _, rest = text.partition("\n")
    list_date = first.split(",")[1].strip() if first.startswith("Last Updated") else ""
    rows = _dict_rows(path, rest if list_date else text, ",", {"Name 6", "Name 1", "Group ID", "Group Type"})
    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault(row["Group ID"].strip(), []).append(row)
    entries: list[ListEntry] = []
    for group_id, members in groups.items():
        names: list[Alias] = []
        for row in members:
            given = " ".join(row[f"Name {i}"].strip() for i in range(1, 6) if row[f"Name {i}"].strip())
            full = f"{row['Name 6'].strip()}, {given}" if given else row["Name 6"].strip()
            weak = "low" in row.get("Alias Quality", "").lower()
            names.append(
                Alias(
                    full,
                    "primary" if "Prime" in row.get("Alias Type", "") else "aka",
                    "weak" if weak else "strong",
                )
            )
            original = row.get("Name Non-Latin Script", "").strip()
            if original:
                names.append(Alias(original, "original-script", "strong", script_of(original)))
        primary = next((a for a in names if a.kind == "primary"), names[0])
        head = members[0]
        kind = (
            EntityKind.PERSON
            if head["Group Type"].strip().lower() == "individual"
            else EntityKind.ORGANISATION
        )
        countries = [
            c for r in members for c in (r.get("Nationality", "").strip(), r.get("Country", "").strip()) if c
        ]
        ids = [
            Identifier("Passport", r["Passport Number"].strip())
            for r in members
            if r.get("Passport Number", "").strip()
        ]
        entries.append(
            ListEntry(
                list_id="uk-ofsi",
                entity_id=group_id,
                kind=kind,
                name=primary.name,
                aliases=tuple(a for a in names if a is not primary),
                dates_of_birth=tuple(
                    dict.fromkeys(r["DOB"].strip() for r in members if r.get("DOB", "").strip())
                ),
                countries=tuple(dict.fromkeys(countries)),
                identifiers=tuple(dict.fromkeys(ids)),
                programs=tuple(
                    dict.fromkeys(r.get("Regime", "").strip() for r in members if r.get("Regime"))
                ),
                remarks=head.get("Other Information", "").strip(),
            )
        )
    if not entries:
        raise ListSourceError(str(path), "no entries in the file")
    return ListSnapshot(_meta("uk-ofsi", path, "uk-ofsi-csv", data, len(entries), list_date), tuple(entries))
