from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.sharing import (
    SEIZURE_EXTENSION_ID,
    SHIPMENT_EXTENSION_ID,
    ConcealmentMethod,
    IdentityInfo,
    IndicatorInfo,
    NoteInfo,
    RelationshipInfo,
    ReportInfo,
    ShipmentDetails,
    SightingInfo,
    SigningKey,
    StixSchemaValidator,
    SuspectShipment,
    Tlp,
    build_bundle,
    build_concealment_method,
    build_identity,
    build_indicator,
    build_note,
    build_relationship,
    build_report,
    build_sighting,
    build_suspect_shipment,
    extension_definitions,
    sign_object,
    stix_id,
    tlp_marking_definition,
)
from tests.unit.sharing.sharing_factories import (
    AUTHOR_A,
    CREATED,
    authoring,
    seizure_object,
    suspect_party_object,
    suspect_shipment_object,
)


def every_kind_of_object() -> list[dict[str, Any]]:
    seizure = seizure_object()
    shipment = suspect_shipment_object()
    concealment = build_concealment_method(
        ConcealmentMethod(
            "False wall behind reefer unit",
            "container-structure",
            container_parts=("reefer machinery housing",),
            cover_goods_hs_codes=("080390",),
            detection_hints=("fresh welds", "x-ray density change"),
            first_seen=datetime(2025, 3, 1, tzinfo=UTC),
        ),
        authoring(),
    )
    identity = build_identity(
        IdentityInfo("Customs administration of A", sectors=("government",)), authoring()
    )
    indicator = build_indicator(
        IndicatorInfo(
            "Container to watch", "[x-supplyguard-consignment:container_number = 'MSKU9070323']", CREATED
        ),
        authoring(),
    )
    sighting = build_sighting(
        SightingInfo(shipment["id"], first_seen=CREATED, count=1, where_sighted_refs=(AUTHOR_A,)), authoring()
    )
    report = build_report(ReportInfo("Reefer concealment, November", CREATED, (seizure["id"],)), authoring())
    note = build_note(NoteInfo("Consignee also seen in B", (shipment["id"],), abstract="link"), authoring())
    relationship = build_relationship(RelationshipInfo("uses", seizure["id"], concealment["id"]), authoring())
    return [
        seizure,
        shipment,
        concealment,
        suspect_party_object(),
        identity,
        indicator,
        sighting,
        report,
        note,
        relationship,
        *extension_definitions(),
        *(tlp_marking_definition(level) for level in Tlp),
    ]


def test_every_built_object_validates_against_the_oasis_schemas(validator: StixSchemaValidator) -> None:
    objects = every_kind_of_object()
    assert {obj["type"] for obj in objects} >= {
        "identity",
        "indicator",
        "sighting",
        "report",
        "note",
        "relationship",
        "incident",
        "attack-pattern",
        "extension-definition",
        "marking-definition",
    }
    for obj in objects:
        assert validator.problems(obj) == [], obj["id"]


def test_validator_catches_a_broken_object(validator: StixSchemaValidator) -> None:
    broken = dict(seizure_object())
    broken["created"] = "yesterday"
    with pytest.raises(ValidationFailed, match="created"):
        validator.validate(broken)


def test_validator_checks_extension_payloads(validator: StixSchemaValidator) -> None:
    broken = seizure_object()
    broken["extensions"][SEIZURE_EXTENSION_ID]["container_numbers"] = ["not a container"]
    problems = validator.problems(broken)
    assert problems
    assert problems[0].location[:2] == ("extensions", "seizure")


def test_customs_identifiers_are_canonical_in_the_object() -> None:
    shipment = suspect_shipment_object()
    fields = shipment["extensions"][SHIPMENT_EXTENSION_ID]
    assert fields["container_numbers"] == ["MSKU9070323"]
    assert fields["conveyance"]["vessel_imo"] == "9074729"
    assert fields["consignee_eori"] == "NL812345678"
    assert "MSKU9070323" in shipment["pattern"]
    assert "Vries" not in shipment["pattern"]


def test_a_wrong_container_check_digit_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="check digit"):
        build_suspect_shipment(
            SuspectShipment("x", ("y",), CREATED, ShipmentDetails(container_numbers=("MSKU9070324",))),
            authoring(),
        )


def test_a_suspect_shipment_without_any_identifier_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="needs a container"):
        build_suspect_shipment(SuspectShipment("x", ("y",), CREATED), authoring())


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="timezone"):
        build_identity(IdentityInfo("x"), authoring(created=datetime(2026, 1, 1)))


def test_objects_carry_author_and_marking() -> None:
    seizure = seizure_object(Tlp.RED)
    assert seizure["created_by_ref"] == AUTHOR_A
    assert seizure["object_marking_refs"] == [Tlp.RED.marking_id]
    assert seizure["created"] == "2026-11-20T08:30:00.000Z"


def test_bundle_of_signed_objects_validates(validator: StixSchemaValidator, key_a: SigningKey) -> None:
    signed = [sign_object(obj, key_a).to_stix() for obj in (seizure_object(), suspect_shipment_object())]
    bundle = build_bundle([*extension_definitions(), *signed], key="export-1")
    assert validator.problems(bundle) == []
    assert bundle["id"] == build_bundle([], key="export-1")["id"]
    for obj in bundle["objects"]:
        assert validator.problems(obj) == []


def test_deterministic_ids_follow_the_key() -> None:
    assert stix_id("indicator", "A-17") == stix_id("indicator", "A-17")
    assert stix_id("indicator", "A-17") != stix_id("indicator", "A-18")
    assert stix_id("indicator") != stix_id("indicator")
    built = build_identity(IdentityInfo("x"), authoring(object_id=stix_id("identity", "x")))
    assert built["id"] == stix_id("identity", "x")


def test_bundle_reports_the_broken_object_by_position(validator: StixSchemaValidator) -> None:
    broken = seizure_object()
    del broken["name"]
    problems = validator.problems(build_bundle([suspect_shipment_object(), broken]))
    assert problems
    assert {problem.location[:2] for problem in problems} == {("objects", 1)}


@pytest.mark.parametrize(
    "value", ["MSCU1234565", "it's", "back\\slash", "\\'", "", "ünï 😀", "new\nline", "a' OR [x:y = 'z"]
)
def test_consignment_indicator_agrees_with_stix2_on_any_literal(value: str) -> None:
    """The shape-memoised pattern check builds exactly what ``stix2.v21.Indicator`` builds."""
    import stix2

    from supplyguard.sharing.builders import _ConsignmentIndicator, consignment_pattern

    for extra in ({}, {"valid_until": "2020-01-01T00:00:00.000Z"}):
        properties = {
            "id": "indicator--6f1b1f58-3c2e-4d0a-9a43-58a0c1f4e2b7",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "pattern": consignment_pattern({"container_numbers": [value], "bill_of_lading": value or "x"}),
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00.000Z",
            **extra,
        }
        built = []
        for factory in (stix2.v21.Indicator, _ConsignmentIndicator):
            try:
                built.append(factory(**properties, allow_custom=False).serialize())
            except (stix2.exceptions.STIXError, ValueError) as error:
                built.append(f"{type(error).__name__}: {error}")
        assert built[0] == built[1]


@pytest.mark.parametrize(
    "pattern",
    [
        "[x-supplyguard-consignment:container_number = 'a' OR",
        "[x:y = 'a']]",
        "[x-supplyguard-consignment:container_number = 'a\\q']",
    ],
)
def test_consignment_indicator_refuses_a_broken_pattern_as_stix2_does(pattern: str) -> None:
    import stix2

    from supplyguard.sharing.builders import _ConsignmentIndicator

    messages = []
    for factory in (stix2.v21.Indicator, _ConsignmentIndicator):
        with pytest.raises(stix2.exceptions.InvalidValueError) as error:
            factory(pattern=pattern, pattern_type="stix", valid_from="2026-01-01T00:00:00.000Z")
        messages.append(str(error.value))
    assert messages[0] == messages[1]
