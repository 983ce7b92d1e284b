"""Domain values for sanctions and denied-party lists: entries, aliases and list snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class EntityKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Alias:
    """One name of a list entry.

    ``kind`` is ``primary``, ``aka``, ``fka`` or ``nka``; ``quality`` is ``strong``, ``weak`` or ``""``
    (the UN and OFAC call some aliases weak or low quality); ``script`` is the Unicode script name of
    the original text (``Latin``, ``Cyrillic``, ``Arabic`` ...).
    """

    name: str
    kind: str = "aka"
    quality: str = ""
    script: str = "Latin"


@dataclass(frozen=True, slots=True)
class Identifier:
    """A document or registration number: ``kind`` as the list words it (``Passport``, ``IMO``)."""

    kind: str
    value: str
    country: str = ""


@dataclass(frozen=True, slots=True)
class Address:
    text: str
    country: str = ""


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One designated party as its list publishes it.

    ``entity_id`` is the list's own id (SDN ent_num, UN DATAID, CSL entity_number or _id, FtM id).
    Dates of birth are kept as published (``1961``, ``1961-05-07``, ``circa 1960``); countries are
    the list's words or ISO codes, both are understood by the scorer.
    """

    list_id: str
    entity_id: str
    kind: EntityKind
    name: str
    aliases: tuple[Alias, ...] = ()
    dates_of_birth: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    addresses: tuple[Address, ...] = ()
    programs: tuple[str, ...] = ()
    remarks: str = ""

    def digest(self) -> str:
        """SHA-256 of the entry's canonical JSON (RFC 8785): changes when the list changes it, so a
        decision about a hit (e.g. a false positive) can be tied to this version of the entry."""
        from supplyguard.model.canonical import canonical_sha256

        return canonical_sha256(
            {
                "list": self.list_id,
                "id": self.entity_id,
                "kind": self.kind.value,
                "name": self.name,
                "aliases": [[a.name, a.kind, a.quality] for a in self.aliases],
                "dob": list(self.dates_of_birth),
                "countries": list(self.countries),
                "ids": [[i.kind, i.value, i.country] for i in self.identifiers],
                "addresses": [[a.text, a.country] for a in self.addresses],
                "programs": list(self.programs),
                "remarks": self.remarks,
            }
        )

    def all_names(self) -> tuple[Alias, ...]:
        """The primary name first, then every alias (duplicates removed)."""
        seen: set[str] = set()
        out: list[Alias] = []
        for alias in (Alias(self.name, "primary"), *self.aliases):
            key = alias.name.strip().casefold()
            if key and key not in seen:
                seen.add(key)
                out.append(alias)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class ListMetadata:
    """Where a snapshot comes from: ``content_sha256`` covers the bytes of every file read."""

    list_id: str
    source: str
    format: str
    list_date: str
    entry_count: int
    content_sha256: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListSnapshot:
    metadata: ListMetadata
    entries: tuple[ListEntry, ...] = field(default=())
