"""OFAC SDN and consolidated (non-SDN) lists in the legacy CSV layout.

Four files per list: ``sdn.csv`` (or ``cons_prim.csv``), ``alt.csv``, ``add.csv`` and
``sdn_comments.csv`` (remarks longer than the main file holds). Latin-1 (or UTF-8), ``-0-`` for
empty fields, a trailing ^Z. A main file is required; the others are optional.
"""

from __future__ import annotations

import csv
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
from supplyguard.screening.readers.common import (
    clean,
    decode_text,
    parse_remarks,
    read_bytes,
    script_of,
    sha256_of,
)

_MAIN_FIELDS = 12
_KINDS = {
    "individual": EntityKind.PERSON,
    "vessel": EntityKind.VESSEL,
    "aircraft": EntityKind.AIRCRAFT,
    "": EntityKind.ORGANISATION,
    "entity": EntityKind.ORGANISATION,
}
_FILES = {
    "ofac-sdn": ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"),
    "ofac-cons": ("cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"),
}


def _rows(path: Path, text: str, width: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                raise ListSourceError(
                    str(path),
                    f"line {reader.line_num}: {len(row)} fields where {width} are expected "
                    "(file cut short or not this format)",
                )
            if not row[0].strip().isdigit():
                raise ListSourceError(
                    str(path), f"line {reader.line_num}: entity number {row[0]!r} is not a number"
                )
            rows.append(row)
    except csv.Error as exc:
        raise ListSourceError(
            str(path), f"line {reader.line_num}: broken CSV ({exc}); file cut short?"
        ) from exc
    return rows


def read_ofac_dir(directory: Path, list_id: str | None = None, list_date: str = "") -> ListSnapshot:
    """Read an OFAC CSV list from ``directory`` (or from the main file's folder)."""
    if directory.is_file():
        directory = directory.parent
    if list_id is None:
        list_id = "ofac-cons" if (directory / "cons_prim.csv").exists() else "ofac-sdn"
    main_name, alt_name, add_name, comments_name = _FILES[list_id]
    main_path = directory / main_name
    if not main_path.exists():
        raise ListSourceError(str(directory), f"no {main_name} in this folder")
    blobs: list[bytes] = []
    files: list[str] = []

    def load(name: str, width: int) -> list[list[str]]:
        path = directory / name
        if not path.exists():
            return []
        data = read_bytes(path)
        blobs.append(data)
        files.append(name)
        return _rows(path, decode_text(path, data), width)

    main_rows = load(main_name, _MAIN_FIELDS)
    alt_rows = load(alt_name, 5)
    add_rows = load(add_name, 6)
    comment_rows = load(comments_name, 2)

    aliases: dict[str, list[Alias]] = {}
    for ent, _num, kind, name, remark in alt_rows:
        name = clean(name)
        if name:
            quality = "weak" if "weak" in clean(remark).lower() else "strong"
            aliases.setdefault(ent.strip(), []).append(
                Alias(name, clean(kind) or "aka", quality, script_of(name))
            )
    addresses: dict[str, list[Address]] = {}
    for ent, _num, street, city, country, _remark in add_rows:
        text = ", ".join(part for part in (clean(street), clean(city), clean(country)) if part)
        if text:
            addresses.setdefault(ent.strip(), []).append(Address(text, clean(country)))
    extra_remarks = {ent.strip(): clean(text) for ent, text in comment_rows}

    entries: list[ListEntry] = []
    for row in main_rows:
        ent = row[0].strip()
        name = clean(row[1])
        if not name:
            raise ListSourceError(str(main_path), f"entry {ent} has no name")
        kind = _KINDS.get(clean(row[2]).lower(), EntityKind.UNKNOWN)
        remarks = clean(row[11]) + extra_remarks.get(ent, "")
        dobs, nationalities, identifiers, weak_aliases = parse_remarks(remarks)
        countries = list(nationalities)
        flag = clean(row[9])
        if flag:
            countries.append(flag)
        call_sign = clean(row[5])
        if call_sign:
            identifiers.append(Identifier("Call Sign", call_sign, flag))
        entry_addresses = addresses.get(ent, [])
        countries.extend(a.country for a in entry_addresses if a.country and kind is not EntityKind.PERSON)
        entries.append(
            ListEntry(
                list_id=list_id,
                entity_id=ent,
                kind=kind,
                name=name,
                aliases=tuple(aliases.get(ent, [])) + tuple(weak_aliases),
                dates_of_birth=tuple(dobs),
                countries=tuple(dict.fromkeys(countries)),
                identifiers=tuple(identifiers),
                addresses=tuple(entry_addresses),
                programs=tuple(p.strip() for p in clean(row[3]).split(";") if p.strip()),
                remarks=remarks,
            )
        )
    if not entries:
        raise ListSourceError(str(main_path), "no entries in the file")
    meta = ListMetadata(
        list_id=list_id,
        source=str(directory),
        format="ofac-csv",
        list_date=list_date,
        entry_count=len(entries),
        content_sha256=sha256_of(blobs),
        files=tuple(files),
    )
    return ListSnapshot(meta, tuple(entries))
