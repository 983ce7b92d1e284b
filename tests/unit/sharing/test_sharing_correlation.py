from __future__ import annotations

from supplyguard.sharing import (
    CorrelationIndex,
    IdentifierKind,
    LocalRecord,
    canonical_record,
    extract_observables,
)
from tests.unit.sharing.sharing_factories import seizure_object, suspect_party_object, suspect_shipment_object


def local_index() -> CorrelationIndex:
    index = CorrelationIndex()
    index.add(
        LocalRecord(
            "DECL-B-1",
            "declaration",
            identifiers=((IdentifierKind.CONTAINER, "MSKU 9070323"),),
            party_names=("VRIES, JAN DE",),
        )
    )
    index.add(LocalRecord("DECL-B-2", "declaration", identifiers=((IdentifierKind.IMO, "9074729"),)))
    index.add(LocalRecord("PARTY-B-9", "party", party_names=("Frutas del Pacifico SA",)))
    index.add(
        LocalRecord("DECL-B-3", "declaration", identifiers=((IdentifierKind.CONTAINER, "CSQU3054383"),))
    )
    return index


def test_extracts_canonical_identifiers_from_customs_objects() -> None:
    found = {(o.kind, o.value) for o in extract_observables(seizure_object())}
    assert (IdentifierKind.CONTAINER, "MSKU9070323") in found
    assert (IdentifierKind.IMO, "9074729") in found
    assert (IdentifierKind.EORI, "NL812345678") in found
    assert (IdentifierKind.PARTY_NAME, "de jan vries") in found


def test_incoming_shipment_matches_local_records_with_reasons() -> None:
    matches = local_index().match_object(suspect_shipment_object())
    by_record = {m.record_id: m for m in matches}
    assert set(by_record) == {"DECL-B-1", "DECL-B-2", "PARTY-B-9"}
    assert (
        "container 'MSKU9070323'" in by_record["DECL-B-2"].reason
        or "vessel IMO" in by_record["DECL-B-2"].reason
    )
    assert "exact identifier" in by_record["DECL-B-2"].reason
    assert any("normalised name" in m.reason for m in matches if m.record_id == "DECL-B-1")


def test_pattern_only_indicator_is_matched() -> None:
    indicator = {
        "type": "indicator",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "pattern": "[x-supplyguard-consignment:container_number = 'CSQU3054383']",
    }
    matches = local_index().match_object(indicator)
    assert [m.record_id for m in matches] == ["DECL-B-3"]


def test_suspect_party_identity_is_matched_by_name() -> None:
    matches = local_index().match_object(suspect_party_object())
    assert [m.record_id for m in matches] == ["DECL-B-1"]


def test_no_match_and_refused_identifiers() -> None:
    index = CorrelationIndex()
    refused = index.add(
        LocalRecord("DECL-X", "declaration", identifiers=((IdentifierKind.CONTAINER, "MSKU9070324"),))
    )
    assert len(refused) == 1
    assert "not valid" in refused[0]
    assert index.match_object(suspect_shipment_object()) == []
    assert len(index) == 1


def test_records_stored_in_canonical_form_index_the_same() -> None:
    raw = LocalRecord(
        "DECL-B-1",
        "declaration",
        identifiers=((IdentifierKind.CONTAINER, "msku 907032-3"),),
        party_names=("Jan de Vries",),
    )
    stored = canonical_record(raw)
    assert stored.identifiers == ((IdentifierKind.CONTAINER, "MSKU9070323"),)
    assert stored.party_names == ("de jan vries",)
    fast = CorrelationIndex()
    fast.add(stored, canonical=True)
    slow = CorrelationIndex()
    slow.add(raw)
    shipment = suspect_shipment_object()
    assert fast.match_object(shipment) == slow.match_object(shipment)
    assert len(fast.match_object(shipment)) == 2


def test_pattern_literals_are_unescaped_and_a_repeated_value_is_found_once() -> None:
    indicator = {
        "type": "indicator",
        "id": "indicator--00000000-0000-4000-8000-000000000002",
        "pattern": (
            "[x-supplyguard-consignment:container_number = 'CSQU3054383'"
            " OR x-supplyguard-consignment:truck_plate = 'AB\\\\-\\'12'"
            " OR x-supplyguard-consignment:container_number = 'csqu 305438-3'"
            " OR x-supplyguard-consignment:container_number = 'CSQU3054384']"
        ),
    }
    found = [(o.kind, o.value, o.found_in) for o in extract_observables(indicator)]
    assert found[0] == (IdentifierKind.CONTAINER, "CSQU3054383", "pattern")
    assert [o for o in found if o[0] is IdentifierKind.CONTAINER] == [found[0]]  # bad check digit: none
    plates = [o for o in found if o[0] is IdentifierKind.TRUCK_PLATE]
    assert len(plates) == 1 and "\\" not in plates[0][1]  # the escapes are taken out before canonicalising
