"""Builders: plain dataclasses in, STIX 2.1 dicts out, built and checked by the ``stix2`` library.

Every builder takes the thing to say and an :class:`Authoring` (author identity, time, TLP) and
returns a JSON-ready dict. Identifiers inside customs fields are canonicalised on the way
(ISO 6346 and IMO check digits verified), so two nodes describe one container the same way.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import stix2
from stix2patterns.validator import run_validator  # type: ignore[import-untyped]

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.sharing.customs import (
    Authoring,
    ConcealmentMethod,
    Conveyance,
    Seizure,
    ShipmentDetails,
    SuspectParty,
    SuspectShipment,
)
from supplyguard.sharing.extensions import (
    CONCEALMENT_EXTENSION_ID,
    PARTY_EXTENSION_ID,
    SEIZURE_EXTENSION_ID,
    SHIPMENT_EXTENSION_ID,
)
from supplyguard.sharing.identifiers import (
    IdentifierInvalid,
    canonical_container,
    canonical_eori,
    canonical_flight,
    canonical_imo,
    canonical_truck_plate,
)
from supplyguard.sharing.objects import (
    IdentityInfo,
    IndicatorInfo,
    NoteInfo,
    RelationshipInfo,
    ReportInfo,
    SightingInfo,
)

CONSIGNMENT_PATTERN_TYPE = "x-supplyguard-consignment"
_ID_NAMESPACE = uuid.UUID("6f1b1f58-3c2e-5d0a-9a43-58a0c1f4e2b7")


def stix_id(object_type: str, key: str | None = None) -> str:
    """A STIX identifier: random UUIDv4, or a UUIDv5 from ``key`` (same key, same id: demo worlds).

    STIX wants RFC 4122 versions 1-5, so the project's UUIDv7 ids are not used here.
    """
    value = uuid.uuid4() if key is None else uuid.uuid5(_ID_NAMESPACE, f"{object_type}/{key}")
    return f"{object_type}--{value}"


def build_bundle(objects: Iterable[Mapping[str, Any]], key: str | None = None) -> dict[str, Any]:
    """A STIX 2.1 bundle of ``objects`` (as given: signed wire forms keep their provenance)."""
    return {"type": "bundle", "id": stix_id("bundle", key), "objects": [dict(obj) for obj in objects]}


def stix_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as STIX wants: ``2026-11-23T01:30:00.000Z``."""
    if moment.tzinfo is None:
        raise ValidationFailed([FieldError(("timestamp",), "must be timezone-aware")])
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _drop_empty(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, (), [], {}, "")}


def _build(
    factory: Callable[..., Any], authoring: Authoring, properties: Mapping[str, Any]
) -> dict[str, Any]:
    common: dict[str, Any] = {
        "created_by_ref": authoring.author_ref,
        "created": stix_timestamp(authoring.created),
        "modified": stix_timestamp(authoring.modified or authoring.created),
        "object_marking_refs": [authoring.tlp.marking_id],
    }
    if authoring.object_id is not None:
        common["id"] = authoring.object_id
    if authoring.revoked:
        common["revoked"] = True
    try:
        built = factory(**common, **_drop_empty(properties), allow_custom=False)
    except stix2.exceptions.STIXError as error:
        raise ValidationFailed([FieldError(("stix",), str(error))]) from error
    result: dict[str, Any] = json.loads(built.serialize())
    return result


def _list(values: tuple[Any, ...]) -> list[Any]:
    return list(values)


def _identifier(path: tuple[str | int, ...], canonicalise: Callable[[str], str], value: str) -> str:
    try:
        return canonicalise(value)
    except IdentifierInvalid as error:
        raise ValidationFailed([FieldError(path, error.reason)]) from error


def _conveyance(conveyance: Conveyance | None) -> dict[str, Any] | None:
    if conveyance is None:
        return None
    where = ("conveyance",)
    return _drop_empty(
        {
            "mode": conveyance.mode,
            "vessel_name": conveyance.vessel_name,
            "vessel_imo": conveyance.vessel_imo
            and _identifier((*where, "vessel_imo"), canonical_imo, conveyance.vessel_imo),
            "voyage": conveyance.voyage,
            "flight_number": conveyance.flight_number
            and _identifier((*where, "flight_number"), canonical_flight, conveyance.flight_number),
            "truck_plate": conveyance.truck_plate
            and _identifier((*where, "truck_plate"), canonical_truck_plate, conveyance.truck_plate),
            "truck_country": conveyance.truck_country,
            "train_number": conveyance.train_number,
        }
    )


def _shipment_fields(shipment: ShipmentDetails) -> dict[str, Any]:
    goods = [
        _drop_empty(
            {
                "description": line.description,
                "hs_code": line.hs_code,
                "quantity": line.quantity,
                "unit": line.unit,
                "net_mass_kg": line.net_mass_kg,
            }
        )
        for line in shipment.goods
    ]
    return {
        "goods": goods,
        "hs_codes": sorted({line.hs_code for line in shipment.goods if line.hs_code}),
        "container_numbers": [
            _identifier(("container_numbers", i), canonical_container, number)
            for i, number in enumerate(shipment.container_numbers)
        ],
        "conveyance": _conveyance(shipment.conveyance),
        "route": [
            _drop_empty({"country": p.country, "role": p.role, "locode": p.locode, "name": p.name})
            for p in shipment.route
        ],
        "bill_of_lading": shipment.bill_of_lading,
        "declaration_reference": shipment.declaration_reference,
        "consignor_name": shipment.consignor_name,
        "consignee_name": shipment.consignee_name,
        "consignee_eori": shipment.consignee_eori
        and _identifier(("consignee_eori",), canonical_eori, shipment.consignee_eori),
        "consignee_country": shipment.consignee_country,
    }


def _extension(extension_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {extension_id: {"extension_type": "property-extension", **_drop_empty(fields)}}


def build_identity(info: IdentityInfo, authoring: Authoring) -> dict[str, Any]:
    return _build(
        stix2.v21.Identity,
        authoring,
        {
            "name": info.name,
            "identity_class": info.identity_class,
            "description": info.description,
            "sectors": _list(info.sectors),
            "contact_information": info.contact_information,
        },
    )


def build_indicator(info: IndicatorInfo, authoring: Authoring) -> dict[str, Any]:
    return _build(
        stix2.v21.Indicator,
        authoring,
        {
            "name": info.name,
            "pattern": info.pattern,
            "pattern_type": info.pattern_type,
            "valid_from": stix_timestamp(info.valid_from),
            "valid_until": info.valid_until and stix_timestamp(info.valid_until),
            "indicator_types": _list(info.indicator_types),
            "description": info.description,
        },
    )


def build_sighting(info: SightingInfo, authoring: Authoring) -> dict[str, Any]:
    return _build(
        stix2.v21.Sighting,
        authoring,
        {
            "sighting_of_ref": info.sighting_of_ref,
            "first_seen": info.first_seen and stix_timestamp(info.first_seen),
            "last_seen": info.last_seen and stix_timestamp(info.last_seen),
            "count": info.count,
            "where_sighted_refs": _list(info.where_sighted_refs),
            "description": info.description,
        },
    )


def build_report(info: ReportInfo, authoring: Authoring) -> dict[str, Any]:
    return _build(
        stix2.v21.Report,
        authoring,
        {
            "name": info.name,
            "published": stix_timestamp(info.published),
            "object_refs": _list(info.object_refs),
            "report_types": _list(info.report_types),
            "description": info.description,
        },
    )


def build_note(info: NoteInfo, authoring: Authoring) -> dict[str, Any]:
    return _build(
        stix2.v21.Note,
        authoring,
        {
            "content": info.content,
            "object_refs": _list(info.object_refs),
            "abstract": info.abstract,
            "authors": _list(info.authors),
        },
    )


def build_relationship(info: RelationshipInfo, authoring: Authoring) -> dict[str, Any]:
    return _build(
        stix2.v21.Relationship,
        authoring,
        {
            "relationship_type": info.relationship_type,
            "source_ref": info.source_ref,
            "target_ref": info.target_ref,
            "description": info.description,
        },
    )


def build_seizure(seizure: Seizure, authoring: Authoring) -> dict[str, Any]:
    """A seizure: a STIX ``incident`` with the ``seizure`` extension."""
    fields = {
        **_shipment_fields(seizure.shipment),
        "seized_at": stix_timestamp(seizure.seized_at),
        "seizure_locode": seizure.seizure_locode,
        "seizure_country": seizure.seizure_country,
        "concealment_method": seizure.concealment_method,
        "concealment_ref": seizure.concealment_ref,
        "detection_method": seizure.detection_method,
        "offence": seizure.offence,
    }
    return _build(
        stix2.v21.Incident,
        authoring,
        {
            "name": seizure.name,
            "description": seizure.description,
            "extensions": _extension(SEIZURE_EXTENSION_ID, fields),
        },
    )


def _pattern_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# A string literal as _pattern_literal writes it: quotes, with only \' and \\ escaped inside.
_LITERAL = re.compile(r"'(?:[^'\\]|\\['\\])*'")


@lru_cache(maxsize=256)
def _shape_is_valid(shape: str, version: str) -> bool:
    return not run_validator(shape, version)


class _ConsignmentIndicator(stix2.v21.Indicator):  # type: ignore[misc]
    """``stix2.v21.Indicator`` for consignment patterns, whose validation is memoised by shape.

    A consignment pattern is built here, every value a string literal escaped by
    :func:`_pattern_literal`: any such literal is one valid token, so whether the pattern is valid
    depends only on its shape (the pattern with each literal replaced by ``'x'``). The shape is
    validated with the same ``stix2patterns`` validator, once; a pattern whose shape fails is
    validated in full, so the error is the library's own. Every other check is ``Indicator``'s.
    """

    def _check_object_constraints(self) -> None:
        pattern = self.get("pattern")
        version = self.get("pattern_version") or "2.1"
        if self.get("pattern_type") != "stix" or not _shape_is_valid(_LITERAL.sub("'x'", pattern), version):
            super()._check_object_constraints()
            return
        super(stix2.v21.Indicator, self)._check_object_constraints()
        valid_from = self.get("valid_from")
        valid_until = self.get("valid_until")
        if valid_from and valid_until and valid_until <= valid_from:
            raise ValueError(f"{self.id} 'valid_until' must be greater than 'valid_from'")


_ConsignmentIndicator.__name__ = _ConsignmentIndicator.__qualname__ = "Indicator"  # the same messages


def consignment_pattern(fields: Mapping[str, Any]) -> str:
    """A STIX pattern over a shipment's transport identifiers (container, conveyance, B/L).

    Party names and party identifiers stay out of the pattern, in extension fields that an
    agreement can withhold; HS codes are used only when there is no transport identifier.
    """
    comparisons: list[str] = []

    def add(prop: str, value: str) -> None:
        comparisons.append(f"{CONSIGNMENT_PATTERN_TYPE}:{prop} = {_pattern_literal(value)}")

    for number in fields.get("container_numbers", ()):
        add("container_number", number)
    conveyance = fields.get("conveyance") or {}
    for prop in ("vessel_imo", "flight_number", "truck_plate"):
        if conveyance.get(prop):
            add(prop, conveyance[prop])
    if fields.get("bill_of_lading"):
        add("bill_of_lading", fields["bill_of_lading"])
    if not comparisons:
        for code in fields.get("hs_codes", ()):
            add("hs_code", code)
    if not comparisons:
        raise ValidationFailed(
            [FieldError(("shipment",), "a suspect shipment needs a container, conveyance, B/L or HS code")]
        )
    return "[" + " OR ".join(comparisons) + "]"


def build_suspect_shipment(suspect: SuspectShipment, authoring: Authoring) -> dict[str, Any]:
    """A suspect shipment: a STIX ``indicator`` with a consignment pattern and the ``shipment`` extension."""
    fields = {
        **_shipment_fields(suspect.shipment),
        "risk_reasons": _list(suspect.risk_reasons),
        "expected_arrival": suspect.expected_arrival and stix_timestamp(suspect.expected_arrival),
    }
    return _build(
        _ConsignmentIndicator,
        authoring,
        {
            "name": suspect.name,
            "description": suspect.description,
            "indicator_types": ["suspicious-activity"],
            "pattern": consignment_pattern(fields),
            "pattern_type": "stix",
            "valid_from": stix_timestamp(suspect.valid_from),
            "valid_until": suspect.valid_until and stix_timestamp(suspect.valid_until),
            "extensions": _extension(SHIPMENT_EXTENSION_ID, fields),
        },
    )


def build_concealment_method(method: ConcealmentMethod, authoring: Authoring) -> dict[str, Any]:
    """A concealment method: a STIX ``attack-pattern`` with the ``concealment`` extension."""
    fields = {
        "category": method.category,
        "container_parts": _list(method.container_parts),
        "cover_goods_hs_codes": _list(method.cover_goods_hs_codes),
        "detection_hints": _list(method.detection_hints),
        "first_seen": method.first_seen and stix_timestamp(method.first_seen),
        "last_seen": method.last_seen and stix_timestamp(method.last_seen),
    }
    return _build(
        stix2.v21.AttackPattern,
        authoring,
        {
            "name": method.name,
            "description": method.description,
            "extensions": _extension(CONCEALMENT_EXTENSION_ID, fields),
        },
    )


def build_suspect_party(party: SuspectParty, authoring: Authoring) -> dict[str, Any]:
    """A party of interest: a STIX ``identity`` with the ``party`` extension."""
    fields = {
        "roles": _list(party.roles),
        "country": party.country,
        "address": party.address,
        "eori": party.eori and _identifier(("eori",), canonical_eori, party.eori),
        "tax_ids": [_drop_empty({"value": t.value, "country": t.country}) for t in party.tax_ids],
        "aliases": _list(party.aliases),
    }
    return _build(
        stix2.v21.Identity,
        authoring,
        {
            "name": party.name,
            "identity_class": party.identity_class,
            "description": party.description,
            "extensions": _extension(PARTY_EXTENSION_ID, fields),
        },
    )
