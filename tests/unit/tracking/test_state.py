from __future__ import annotations

from datetime import UTC, datetime

from supplyguard.tracking import custody_chain, object_states, stock_by_site, stock_mismatches

from .factories import events, object_event

PALLET = "urn:epc:id:sscc:4012345.0000000001"
CASE = "urn:epc:id:sgtin:4012345.011111.7"
PALLET_DL = "https://id.gs1.org/00/040123450000000016"
CASE_DL = "https://id.gs1.org/01/04012345111118/21/7"
DEPOT_A = "urn:epc:id:sgln:4012345.00001.0"
DEPOT_B = "urn:epc:id:sgln:4012345.00002.0"
DEPOT_A_DL, DEPOT_B_DL = "https://id.gs1.org/414/4012345000016", "https://id.gs1.org/414/4012345000023"
CARRIER, BUYER = "urn:epc:id:pgln:4000001.00000", "urn:epc:id:pgln:4012345.00000"


def pack() -> dict:  # type: ignore[type-arg]
    return {
        "type": "AggregationEvent", "eventTime": "2026-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "parentID": PALLET, "childEPCs": [CASE], "action": "ADD", "bizStep": "packing",
        "bizLocation": {"id": DEPOT_A},
    }  # fmt: skip


def ship() -> dict:  # type: ignore[type-arg]
    return object_event(
        eventTime="2026-03-01T09:00:00Z", epcList=[PALLET], bizStep="shipping", disposition="in_transit",
        bizLocation=None, destinationList=[{"type": "possessing_party", "destination": CARRIER}],
        bizTransactionList=[{"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:ASN1"}],
    )  # fmt: skip


def receive() -> dict:  # type: ignore[type-arg]
    return object_event(
        eventTime="2026-03-02T09:00:00Z", epcList=[PALLET], bizStep="receiving", bizLocation={"id": DEPOT_B},
        sourceList=[{"type": "possessing_party", "source": CARRIER}],
        destinationList=[{"type": "possessing_party", "destination": BUYER},
                         {"type": "owning_party", "destination": BUYER}],
    )  # fmt: skip


def test_object_state_follows_the_parent_it_is_packed_in() -> None:
    states = object_states(events(pack(), ship(), receive()))
    assert states[CASE_DL].parent == PALLET_DL
    assert states[CASE_DL].biz_location == DEPOT_B_DL
    assert states[CASE_DL].possessor == "https://id.gs1.org/417/4012345000009"
    assert states[PALLET_DL].biz_step == "https://ref.gs1.org/cbv/BizStep-receiving"


def test_custody_chain_of_a_packed_case() -> None:
    chain = custody_chain(events(receive(), pack(), ship()), CASE_DL)
    assert [(c.holder[-13:], c.role) for c in chain] == [
        ("4000001000005", "possessing_party"),
        ("4012345000009", "possessing_party"),
        ("4012345000009", "owning_party"),
    ]
    assert chain[0].until == chain[1].since == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert chain[0].biz_transactions == ("urn:epcglobal:cbv:bt:4012345000009:ASN1",)
    assert chain[2].until is None


def test_stock_moves_with_shipments_and_quantities() -> None:
    lot = "urn:epc:class:lgtin:4012345.022222.L1"
    lot_dl = "https://id.gs1.org/01/04012345222227/10/L1"
    commission = object_event(
        eventTime="2026-03-01T07:00:00Z", epcList=[], action="ADD", bizLocation={"id": DEPOT_A},
        quantityList=[{"epcClass": lot, "quantity": 100, "uom": "KGM"}],
    )  # fmt: skip
    take = object_event(
        eventTime="2026-03-01T07:30:00Z", epcList=[], action="DELETE", bizLocation={"id": DEPOT_A},
        quantityList=[{"epcClass": lot, "quantity": 30, "uom": "KGM"}],
    )  # fmt: skip
    before_ship = stock_by_site(events(commission, take, pack()))
    assert before_ship[DEPOT_A_DL] == {lot_dl: 70.0, "https://id.gs1.org/00": 1.0,
                                       "https://id.gs1.org/01/04012345111118": 1.0}  # fmt: skip
    after = stock_by_site(events(commission, take, pack(), ship(), receive()))
    assert after[DEPOT_A_DL] == {lot_dl: 70.0}
    assert after[DEPOT_B_DL] == {"https://id.gs1.org/00": 1.0, "https://id.gs1.org/01/04012345111118": 1.0}


def test_stock_mismatch_alerts_say_what_is_missing() -> None:
    when = datetime(2026, 3, 3, tzinfo=UTC)
    alerts = stock_mismatches(
        {"depot": {"gtin-1": 10, "gtin-2": 5}}, {"depot": {"gtin-1": 7, "gtin-2": 5}}, time=when
    )
    assert [(a.kind, a.severity, a.subject) for a in alerts] == [("stock_mismatch", "high", "depot")]
    assert "3 of gtin-1 missing at depot" in alerts[0].reason
    assert stock_mismatches({"d": {"x": 10}}, {"d": {"x": 9}}, time=when, tolerance=1) == []


def test_position_of_an_object_read_at_a_geo_uri() -> None:
    moving = object_event(
        eventTime="2026-03-01T11:00:00Z", epcList=[PALLET], readPoint={"id": "geo:47.506694,11.104301"}
    )
    states = object_states(events(pack(), moving))
    assert states[PALLET_DL].position == (47.506694, 11.104301)
    assert states[CASE_DL].position == (47.506694, 11.104301)
    assert object_states(events(pack()))[PALLET_DL].position is None


def test_association_events_attach_and_detach_devices() -> None:
    from supplyguard.tracking import current_associations

    def associate(time: str, action: str) -> dict:  # type: ignore[type-arg]
        return {
            "type": "AssociationEvent", "eventTime": time, "eventTimeZoneOffset": "+00:00",
            "parentID": "urn:epc:id:grai:4012345.55555.1", "childEPCs": ["urn:epc:id:giai:4000001.111"],
            "action": action, "bizStep": "assembling",
        }  # fmt: skip

    tracker, container = "https://id.gs1.org/8004/4000001111", "https://id.gs1.org/8003/040123455555541"
    assert current_associations(events(associate("2026-03-01T08:00:00Z", "ADD"))) == {tracker: container}
    both = events(associate("2026-03-01T08:00:00Z", "ADD"), associate("2026-03-02T08:00:00Z", "DELETE"))
    assert current_associations(both) == {}
