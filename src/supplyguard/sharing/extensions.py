"""STIX 2.1 extension definitions for customs intelligence.

Customs objects ride on standard STIX 2.1 objects as *property extensions*, so every object still
validates against the OASIS schema of its base type and any STIX tool can read it:

=====================  ===============  ==================================================
extension (short name)  base object      what it carries
=====================  ===============  ==================================================
``seizure``            ``incident``     goods (HS code, quantities), route, container,
                                        conveyance, concealment, detection, offence
``shipment``           ``indicator``    a suspect shipment: same fields, risk reasons, ETA
``concealment``        ``attack-pattern``  a concealment method: category, parts, cover goods
``party``              ``identity``     a suspect party: roles, country, EORI, tax ids
``provenance``         any              author signature and per-field salts (see signing)
=====================  ===============  ==================================================

Field paths used by agreements name extension properties as ``<short name>.<property>``
(``seizure.hs_codes``); ``PERSONAL_FIELDS`` lists those that are personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUPPLYGUARD_IDENTITY_ID = "identity--4f0c4f2e-7d1b-4d52-9a53-3c2b8f3e9a10"
EXTENSION_VERSION = "1.0.0"

SEIZURE_EXTENSION_ID = "extension-definition--0b6a3e1c-5f0e-4c8e-9a4f-6f1d2c7b8e01"
SHIPMENT_EXTENSION_ID = "extension-definition--1c7b4f2d-6a1f-4d9f-8b5a-7a2e3d8c9f02"
CONCEALMENT_EXTENSION_ID = "extension-definition--2d8c5a3e-7b2a-4eaf-9c6b-8b3f4e9dae03"
PARTY_EXTENSION_ID = "extension-definition--3e9d6b4f-8c3b-4fb0-8d7c-9c4a5faebf04"
PROVENANCE_EXTENSION_ID = "extension-definition--4fae7c5a-9d4c-4ac1-9e8d-ad5b6abfc005"

EXTENSION_SHORT_NAMES: Mapping[str, str] = {
    SEIZURE_EXTENSION_ID: "seizure",
    SHIPMENT_EXTENSION_ID: "shipment",
    CONCEALMENT_EXTENSION_ID: "concealment",
    PARTY_EXTENSION_ID: "party",
    PROVENANCE_EXTENSION_ID: "provenance",
}
EXTENSION_IDS_BY_SHORT_NAME: Mapping[str, str] = {short: ext for ext, short in EXTENSION_SHORT_NAMES.items()}

_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
_TIMESTAMP = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"}
_HS_CODE = {"type": "string", "pattern": r"^[0-9]{4}([0-9]{2}){0,3}$"}
_COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$"}
_CONTAINER = {"type": "string", "pattern": r"^[A-Z]{3}[UJZ][0-9]{7}$"}
_GOODS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["description"],
        "properties": {
            "description": {"type": "string"},
            "hs_code": _HS_CODE,
            "quantity": {"type": "number", "minimum": 0},
            "unit": {"type": "string"},
            "net_mass_kg": {"type": "number", "minimum": 0},
        },
    },
}
_ROUTE = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["country", "role"],
        "properties": {
            "locode": {"type": "string", "pattern": "^[A-Z]{2}[A-Z2-9]{3}$"},
            "country": _COUNTRY,
            "role": {"enum": ["origin", "loading", "transit", "transhipment", "discharge", "destination"]},
            "name": {"type": "string"},
        },
    },
}
_CONVEYANCE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["mode"],
    "properties": {
        "mode": {"enum": ["sea", "air", "road", "rail", "post", "other"]},
        "vessel_name": {"type": "string"},
        "vessel_imo": {"type": "string", "pattern": "^[0-9]{7}$"},
        "voyage": {"type": "string"},
        "flight_number": {"type": "string"},
        "truck_plate": {"type": "string"},
        "truck_country": _COUNTRY,
        "train_number": {"type": "string"},
    },
}
_SHIPMENT_CORE = {
    "goods": _GOODS,
    "hs_codes": {"type": "array", "items": _HS_CODE, "minItems": 1},
    "container_numbers": {"type": "array", "items": _CONTAINER, "minItems": 1},
    "conveyance": _CONVEYANCE,
    "route": _ROUTE,
    "bill_of_lading": {"type": "string"},
    "declaration_reference": {"type": "string"},
    "consignor_name": {"type": "string"},
    "consignee_name": {"type": "string"},
    "consignee_eori": {"type": "string"},
    "consignee_country": _COUNTRY,
}


def _property_schema(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["extension_type"],
        "properties": {"extension_type": {"const": "property-extension"}, **properties},
    }


EXTENSION_SCHEMAS: Mapping[str, dict[str, Any]] = {
    SEIZURE_EXTENSION_ID: _property_schema(
        {
            **_SHIPMENT_CORE,
            "seized_at": _TIMESTAMP,
            "seizure_locode": {"type": "string", "pattern": "^[A-Z]{2}[A-Z2-9]{3}$"},
            "seizure_country": _COUNTRY,
            "concealment_method": {"type": "string"},
            "concealment_ref": {"type": "string", "pattern": "^attack-pattern--"},
            "detection_method": {"type": "string"},
            "offence": {"type": "string"},
        }
    ),
    SHIPMENT_EXTENSION_ID: _property_schema(
        {**_SHIPMENT_CORE, "risk_reasons": _STRINGS, "expected_arrival": _TIMESTAMP}
    ),
    CONCEALMENT_EXTENSION_ID: _property_schema(
        {
            "category": {
                "enum": [
                    "false-compartment",
                    "container-structure",
                    "hollowed-goods",
                    "mixed-with-cargo",
                    "misdeclaration",
                    "conveyance-structure",
                    "body-carry",
                    "other",
                ]
            },
            "container_parts": _STRINGS,
            "cover_goods_hs_codes": {"type": "array", "items": _HS_CODE, "minItems": 1},
            "detection_hints": _STRINGS,
            "first_seen": _TIMESTAMP,
            "last_seen": _TIMESTAMP,
        }
    ),
    PARTY_EXTENSION_ID: _property_schema(
        {
            "roles": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "enum": ["consignor", "consignee", "declarant", "carrier", "notify", "owner", "other"]
                },
            },
            "country": _COUNTRY,
            "address": {"type": "string"},
            "eori": {"type": "string"},
            "tax_ids": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["value"],
                    "properties": {"country": _COUNTRY, "value": {"type": "string"}},
                },
            },
            "aliases": _STRINGS,
        }
    ),
    PROVENANCE_EXTENSION_ID: _property_schema(
        {
            "header": {"type": "object"},
            "salts": {"type": "object", "additionalProperties": {"type": "string"}},
            "signature": {"type": "string"},
        }
    ),
}

PERSONAL_FIELDS: frozenset[str] = frozenset(
    {
        "seizure.consignor_name",
        "seizure.consignee_name",
        "shipment.consignor_name",
        "shipment.consignee_name",
        "party.address",
        "party.aliases",
        "party.tax_ids",
    }
)

_DESCRIPTIONS = {
    SEIZURE_EXTENSION_ID: (
        "SupplyGuard customs seizure",
        "Customs seizure carried on a STIX incident: goods with HS codes and quantities, route, "
        "containers (ISO 6346), conveyance (vessel IMO, flight, truck plate), concealment, detection.",
    ),
    SHIPMENT_EXTENSION_ID: (
        "SupplyGuard suspect shipment",
        "A suspect shipment carried on a STIX indicator: identifiers to watch for and the reasons.",
    ),
    CONCEALMENT_EXTENSION_ID: (
        "SupplyGuard concealment method",
        "A concealment method carried on a STIX attack-pattern: category, container parts, cover goods.",
    ),
    PARTY_EXTENSION_ID: (
        "SupplyGuard customs party",
        "A party of interest carried on a STIX identity: roles, country, EORI, tax ids, aliases.",
    ),
    PROVENANCE_EXTENSION_ID: (
        "SupplyGuard provenance",
        "Author signature over salted per-field commitments (selective disclosure) of the object.",
    ),
}


def extension_definition(extension_id: str) -> dict[str, Any]:
    """The STIX 2.1 extension-definition object of one SupplyGuard extension."""
    name, description = _DESCRIPTIONS[extension_id]
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": extension_id,
        "created_by_ref": SUPPLYGUARD_IDENTITY_ID,
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "name": name,
        "description": description,
        "schema": "https://supplyguard.example/stix/extensions/"
        + EXTENSION_SHORT_NAMES[extension_id]
        + "/"
        + EXTENSION_VERSION,
        "version": EXTENSION_VERSION,
        "extension_types": ["property-extension"],
    }


def extension_definitions() -> list[dict[str, Any]]:
    """All SupplyGuard extension definitions, plus the identity that authors them."""
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": SUPPLYGUARD_IDENTITY_ID,
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "name": "SupplyGuard project",
        "identity_class": "organization",
    }
    return [identity, *(extension_definition(ext) for ext in EXTENSION_SHORT_NAMES)]


def field_path(top_level: str, extension_id: str | None = None) -> str:
    """The agreement field path of a top-level property or of an extension property."""
    if extension_id is None:
        return top_level
    return f"{EXTENSION_SHORT_NAMES.get(extension_id, extension_id)}.{top_level}"


def split_field_path(path: str) -> tuple[str | None, str]:
    """``"seizure.hs_codes"`` -> ``(SEIZURE_EXTENSION_ID, "hs_codes")``; ``"name"`` -> ``(None, "name")``."""
    head, dot, tail = path.partition(".")
    if not dot:
        return None, path
    return EXTENSION_IDS_BY_SHORT_NAME.get(head, head), tail
