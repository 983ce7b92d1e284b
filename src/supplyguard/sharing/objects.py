"""Plain values for the standard STIX 2.1 objects the builders make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class IdentityInfo:
    """An organisation or person: ``identity_class`` is organization, individual, group, class, system."""

    name: str
    identity_class: str = "organization"
    description: str | None = None
    sectors: tuple[str, ...] = ()
    contact_information: str | None = None


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    name: str
    pattern: str
    valid_from: datetime
    indicator_types: tuple[str, ...] = ("suspicious-activity",)
    description: str | None = None
    valid_until: datetime | None = None
    pattern_type: str = "stix"


@dataclass(frozen=True, slots=True)
class SightingInfo:
    """``sighting_of_ref`` was seen ``count`` times by ``where_sighted_refs`` (identities)."""

    sighting_of_ref: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    count: int | None = None
    where_sighted_refs: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ReportInfo:
    name: str
    published: datetime
    object_refs: tuple[str, ...]
    report_types: tuple[str, ...] = ("threat-report",)
    description: str | None = None


@dataclass(frozen=True, slots=True)
class NoteInfo:
    content: str
    object_refs: tuple[str, ...]
    abstract: str | None = None
    authors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RelationshipInfo:
    """``source_ref`` --relationship_type--> ``target_ref`` (e.g. ``uses``, ``related-to``)."""

    relationship_type: str
    source_ref: str
    target_ref: str
    description: str | None = None
