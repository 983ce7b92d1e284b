"""Plain domain values that the STIX builders turn into intelligence objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from supplyguard.sharing.tlp import Tlp


@dataclass(frozen=True, slots=True)
class Authoring:
    """Who writes an object, when, and how it is marked. ``object_id`` None -> a random STIX id."""

    author_ref: str
    created: datetime
    tlp: Tlp = Tlp.AMBER
    modified: datetime | None = None
    object_id: str | None = None
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class GoodsLine:
    description: str
    hs_code: str | None = None
    quantity: float | None = None
    unit: str | None = None
    net_mass_kg: float | None = None


@dataclass(frozen=True, slots=True)
class RoutePoint:
    """A place on a route: ``role`` is origin, loading, transit, transhipment, discharge or destination."""

    country: str
    role: str
    locode: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Conveyance:
    """The means of transport: ``mode`` is sea, air, road, rail, post or other."""

    mode: str
    vessel_name: str | None = None
    vessel_imo: str | None = None
    voyage: str | None = None
    flight_number: str | None = None
    truck_plate: str | None = None
    truck_country: str | None = None
    train_number: str | None = None


@dataclass(frozen=True, slots=True)
class ShipmentDetails:
    """What customs officers record about a consignment (all optional)."""

    goods: tuple[GoodsLine, ...] = ()
    container_numbers: tuple[str, ...] = ()
    conveyance: Conveyance | None = None
    route: tuple[RoutePoint, ...] = ()
    bill_of_lading: str | None = None
    declaration_reference: str | None = None
    consignor_name: str | None = None
    consignee_name: str | None = None
    consignee_eori: str | None = None
    consignee_country: str | None = None


@dataclass(frozen=True, slots=True)
class Seizure:
    name: str
    seized_at: datetime
    shipment: ShipmentDetails = field(default_factory=ShipmentDetails)
    description: str | None = None
    seizure_locode: str | None = None
    seizure_country: str | None = None
    concealment_method: str | None = None
    concealment_ref: str | None = None
    detection_method: str | None = None
    offence: str | None = None


@dataclass(frozen=True, slots=True)
class SuspectShipment:
    """An alert on a shipment in transit; becomes an indicator whose pattern lists its identifiers."""

    name: str
    risk_reasons: tuple[str, ...]
    valid_from: datetime
    shipment: ShipmentDetails = field(default_factory=ShipmentDetails)
    valid_until: datetime | None = None
    expected_arrival: datetime | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ConcealmentMethod:
    name: str
    category: str
    description: str | None = None
    container_parts: tuple[str, ...] = ()
    cover_goods_hs_codes: tuple[str, ...] = ()
    detection_hints: tuple[str, ...] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaxId:
    value: str
    country: str | None = None


@dataclass(frozen=True, slots=True)
class SuspectParty:
    """A party of interest; ``identity_class`` is organization or individual."""

    name: str
    identity_class: str = "organization"
    roles: tuple[str, ...] = ()
    country: str | None = None
    address: str | None = None
    eori: str | None = None
    tax_ids: tuple[TaxId, ...] = ()
    aliases: tuple[str, ...] = ()
    description: str | None = None
