"""Correlation of incoming intelligence with local records: exact identifiers and normalised names.

The index is two dicts: ``(identifier kind, canonical value) -> record positions`` and
``party name key -> record positions``. Adding a record and matching an identifier are O(1), so
10,000 incoming indicators against 1,000,000 local declarations take seconds, and the index is
about the size of the identifiers it holds (no pairwise correlation table as in MISP).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from supplyguard.sharing.extensions import PARTY_EXTENSION_ID, SEIZURE_EXTENSION_ID, SHIPMENT_EXTENSION_ID
from supplyguard.sharing.identifiers import IdentifierInvalid, IdentifierKind, canonical_identifier

_PATTERN_COMPARISON = re.compile(r"x-supplyguard-consignment:(\w+)\s*=\s*'((?:[^'\\]|\\.)*)'")
_UNESCAPE = re.compile(r"\\(.)")  # a backslash escape in a pattern literal
_PATTERN_KINDS = {
    "container_number": IdentifierKind.CONTAINER,
    "vessel_imo": IdentifierKind.IMO,
    "flight_number": IdentifierKind.FLIGHT,
    "truck_plate": IdentifierKind.TRUCK_PLATE,
    "consignee_eori": IdentifierKind.EORI,
}
_KIND_WORDS = {
    IdentifierKind.CONTAINER: "container",
    IdentifierKind.IMO: "vessel IMO",
    IdentifierKind.EORI: "EORI",
    IdentifierKind.TAX_ID: "tax id",
    IdentifierKind.PARTY_NAME: "party name",
    IdentifierKind.FLIGHT: "flight",
    IdentifierKind.TRUCK_PLATE: "truck plate",
}


@dataclass(frozen=True, slots=True)
class LocalRecord:
    """A local declaration, party, container or tracked shipment, by what can be matched on it."""

    record_id: str
    kind: str
    identifiers: tuple[tuple[IdentifierKind, str], ...] = ()
    party_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Observable:
    """One identifier found in an incoming object, canonical, with where it was found."""

    kind: IdentifierKind
    value: str
    found_in: str


@dataclass(frozen=True, slots=True)
class CorrelationMatch:
    object_id: str
    record_id: str
    record_kind: str
    identifier_kind: IdentifierKind
    value: str
    reason: str


def _canonical(kind: IdentifierKind, value: str, country: str | None = None) -> str | None:
    try:
        return canonical_identifier(kind, value, country)
    except IdentifierInvalid:
        return None


def _shipment_observables(
    payload: Mapping[str, Any], prefix: str, raw: list[tuple[IdentifierKind, Any, str, Any]]
) -> None:
    for number in payload.get("container_numbers", ()):
        raw.append((IdentifierKind.CONTAINER, number, f"{prefix}.container_numbers", None))
    conveyance = payload.get("conveyance") or {}
    for prop, kind in _CONVEYANCE_KINDS:
        if conveyance.get(prop):
            raw.append((kind, conveyance[prop], f"{prefix}.conveyance.{prop}", None))
    if payload.get("consignee_eori"):
        raw.append((IdentifierKind.EORI, payload["consignee_eori"], f"{prefix}.consignee_eori", None))
    for prop in ("consignor_name", "consignee_name"):
        if payload.get(prop):
            raw.append((IdentifierKind.PARTY_NAME, payload[prop], f"{prefix}.{prop}", None))


_CONVEYANCE_KINDS = (
    ("vessel_imo", IdentifierKind.IMO),
    ("flight_number", IdentifierKind.FLIGHT),
    ("truck_plate", IdentifierKind.TRUCK_PLATE),
)


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # parsed JSON: a dict, no ABC check


def found_observables(stix_object: Mapping[str, Any]) -> list[tuple[IdentifierKind, str, str]]:
    """:func:`extract_observables` as plain ``(kind, canonical value, found in)`` tuples, in the
    same order (what the intel-key index stores, without an :class:`Observable` per value)."""
    raw: list[tuple[IdentifierKind, Any, str, Any]] = []
    extensions = stix_object.get("extensions") or {}
    for ext_id, prefix in ((SEIZURE_EXTENSION_ID, "seizure"), (SHIPMENT_EXTENSION_ID, "shipment")):
        payload = extensions.get(ext_id)
        if payload is not None and _is_mapping(payload):
            _shipment_observables(payload, prefix, raw)
    if stix_object.get("type") == "identity" and stix_object.get("name"):
        raw.append((IdentifierKind.PARTY_NAME, stix_object["name"], "name", None))
        party = extensions.get(PARTY_EXTENSION_ID)
        if party is not None and _is_mapping(party):
            raw.extend(
                (IdentifierKind.PARTY_NAME, alias, "party.aliases", None)
                for alias in party.get("aliases", ())
            )
            if party.get("eori"):
                raw.append((IdentifierKind.EORI, party["eori"], "party.eori", None))
            for tax in party.get("tax_ids", ()):
                raw.append((IdentifierKind.TAX_ID, tax.get("value", ""), "party.tax_ids", tax.get("country")))
    pattern = stix_object.get("pattern")
    if isinstance(pattern, str):
        for prop, literal in _PATTERN_COMPARISON.findall(pattern):
            if prop in _PATTERN_KINDS:
                value = _UNESCAPE.sub(r"\1", literal) if "\\" in literal else literal
                raw.append((_PATTERN_KINDS[prop], value, "pattern", None))
    seen: set[tuple[IdentifierKind, str]] = set()
    # A value met again (the pattern and the extension name the same container) is canonicalised
    # once: the second time it would give the same canonical value, or fail the same way.
    tried: set[tuple[IdentifierKind, str, str | None]] = set()
    found: list[tuple[IdentifierKind, str, str]] = []
    for kind, value, where, country in raw:
        text = value if type(value) is str else str(value)
        if country is None or type(country) is str:
            attempt = (kind, text, country)
            if attempt in tried:
                continue
            tried.add(attempt)
        try:
            canonical = canonical_identifier(kind, text, country)
        except IdentifierInvalid:
            continue
        if (kind, canonical) not in seen:
            seen.add((kind, canonical))
            found.append((kind, canonical, where))
    return found


def extract_observables(stix_object: Mapping[str, Any]) -> tuple[Observable, ...]:
    """Identifiers and party names in an incoming object (customs extensions, identity, pattern)."""
    return tuple(Observable(kind, value, where) for kind, value, where in found_observables(stix_object))


def record_keys(record: LocalRecord) -> tuple[list[tuple[IdentifierKind, str]], list[str]]:
    """The canonical keys of a local record (to index, or to store at intake), and what was refused."""
    keys: list[tuple[IdentifierKind, str]] = []
    refused: list[str] = []
    for kind, value in record.identifiers:
        canonical = _canonical(kind, value)
        if canonical is None:
            refused.append(f"{_KIND_WORDS[kind]} {value!r} of {record.record_id} is not valid")
        else:
            keys.append((kind, canonical))
    for name in record.party_names:
        name_key = _canonical(IdentifierKind.PARTY_NAME, name)
        if name_key is not None:
            keys.append((IdentifierKind.PARTY_NAME, name_key))
    return keys, refused


def canonical_record(record: LocalRecord) -> LocalRecord:
    """The record with identifiers canonical and names as match keys; invalid identifiers dropped."""
    keys, _ = record_keys(record)
    return LocalRecord(
        record.record_id,
        record.kind,
        identifiers=tuple(key for key in keys if key[0] is not IdentifierKind.PARTY_NAME),
        party_names=tuple(value for kind, value in keys if kind is IdentifierKind.PARTY_NAME),
    )


class CorrelationIndex:
    """Exact-identifier and normalised-name index over local records."""

    def __init__(self) -> None:
        self._record_ids: list[str] = []
        self._record_kinds: list[str] = []
        self._by_key: dict[tuple[IdentifierKind, str], int | list[int]] = {}

    def __len__(self) -> int:
        return len(self._record_ids)

    def _put(self, key: tuple[IdentifierKind, str], position: int) -> None:
        held = self._by_key.get(key)
        if held is None:
            self._by_key[key] = position
        elif isinstance(held, int):
            if held != position:
                self._by_key[key] = [held, position]
        elif position not in held:
            held.append(position)

    def add(self, record: LocalRecord, *, canonical: bool = False) -> list[str]:
        """Index one record; returns the identifiers that were refused (bad check digit...), in words.

        ``canonical=True`` trusts that identifiers and names are already in canonical form (as
        :func:`record_keys` gives them, e.g. stored at intake): no re-validation, ~10x faster.
        """
        position = len(self._record_ids)
        self._record_ids.append(record.record_id)
        self._record_kinds.append(record.kind)
        if canonical:
            for key in record.identifiers:
                self._put(key, position)
            for name_key in record.party_names:
                self._put((IdentifierKind.PARTY_NAME, name_key), position)
            return []
        keys, refused = record_keys(record)
        for key in keys:
            self._put(key, position)
        return refused

    def add_many(self, records: Iterable[LocalRecord], *, canonical: bool = False) -> int:
        count = 0
        for record in records:
            self.add(record, canonical=canonical)
            count += 1
        return count

    def match_observables(self, object_id: str, observables: Iterable[Observable]) -> list[CorrelationMatch]:
        matches: list[CorrelationMatch] = []
        for observable in observables:
            held = self._by_key.get((observable.kind, observable.value))
            if held is None:
                continue
            for position in (held,) if isinstance(held, int) else held:
                record_id, record_kind = self._record_ids[position], self._record_kinds[position]
                words = _KIND_WORDS[observable.kind]
                how = (
                    "normalised name" if observable.kind is IdentifierKind.PARTY_NAME else "exact identifier"
                )
                matches.append(
                    CorrelationMatch(
                        object_id=object_id,
                        record_id=record_id,
                        record_kind=record_kind,
                        identifier_kind=observable.kind,
                        value=observable.value,
                        reason=f"{words} {observable.value!r} in {object_id} ({observable.found_in}) "
                        f"matches {record_kind} {record_id} ({how})",
                    )
                )
        return matches

    def match_object(self, stix_object: Mapping[str, Any]) -> list[CorrelationMatch]:
        """Every local record sharing an identifier or a normalised party name with the object."""
        return self.match_observables(str(stix_object.get("id", "?")), extract_observables(stix_object))

    def match_objects(self, stix_objects: Iterable[Mapping[str, Any]]) -> list[CorrelationMatch]:
        matches: list[CorrelationMatch] = []
        for stix_object in stix_objects:
            matches.extend(self.match_object(stix_object))
        return matches
