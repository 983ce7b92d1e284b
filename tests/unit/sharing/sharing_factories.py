"""Constants and object factories for the sharing tests (imported by name, not a conftest)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from supplyguard.sharing import (
    Authoring,
    Conveyance,
    GoodsLine,
    RoutePoint,
    Seizure,
    ShipmentDetails,
    SuspectParty,
    SuspectShipment,
    Tlp,
    build_seizure,
    build_suspect_party,
    build_suspect_shipment,
)

REPO = Path(__file__).resolve().parents[3]
SHARED_DATA = REPO / ".." / "shared" / "data"
STIX_DATA = SHARED_DATA / "stix"
EXAMPLE_AGREEMENT = REPO / "examples" / "sharing" / "agreement-a-b-carrier.yaml"

AUTHOR_A = "identity--0a0a0a0a-0000-4000-8000-00000000000a"
AUTHOR_B = "identity--0b0b0b0b-0000-4000-8000-00000000000b"
TODAY = date(2026, 11, 23)
CREATED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def shipment_details() -> ShipmentDetails:
    return ShipmentDetails(
        goods=(GoodsLine("bananas (cover load)", "080390", 1200, "boxes", 21_600.0),),
        container_numbers=("msku 907032-3",),
        conveyance=Conveyance("sea", vessel_name="Nordic Star", vessel_imo="IMO 9074729", voyage="047W"),
        route=(
            RoutePoint("EC", "loading", "ECGYE", "Guayaquil"),
            RoutePoint("PA", "transhipment", "PAMIT"),
            RoutePoint("NL", "discharge", "NLRTM"),
        ),
        bill_of_lading="OCNU123456",
        declaration_reference="DECL-A-000042",
        consignor_name="Frutas del Pacífico S.A.",
        consignee_name="Jan de Vries",
        consignee_eori="NL 8123 45678",
        consignee_country="NL",
    )


def authoring(tlp: Tlp = Tlp.AMBER, **changes: Any) -> Authoring:
    return Authoring(**{"author_ref": AUTHOR_A, "created": CREATED, "tlp": tlp, **changes})


def seizure_object(tlp: Tlp = Tlp.AMBER) -> dict[str, Any]:
    return build_seizure(
        Seizure(
            name="Cocaine in a reefer container of bananas",
            seized_at=datetime(2026, 11, 19, 14, 0, tzinfo=UTC),
            shipment=shipment_details(),
            seizure_locode="NLRTM",
            seizure_country="NL",
            concealment_method="false wall behind the reefer unit",
            detection_method="x-ray, then physical examination",
            offence="drug trafficking",
        ),
        authoring(tlp),
    )


def suspect_shipment_object(tlp: Tlp = Tlp.AMBER) -> dict[str, Any]:
    return build_suspect_shipment(
        SuspectShipment(
            name="Suspect reefer from Guayaquil",
            risk_reasons=("same consignee as the seizure of 19 November", "route via Manzanillo PA"),
            valid_from=CREATED,
            shipment=shipment_details(),
            expected_arrival=datetime(2026, 12, 2, tzinfo=UTC),
        ),
        authoring(tlp),
    )


def suspect_party_object() -> dict[str, Any]:
    return build_suspect_party(
        SuspectParty(name="Jan de Vries", identity_class="individual", roles=("consignee",), country="NL"),
        authoring(),
    )
