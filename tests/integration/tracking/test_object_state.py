"""Where an object is and who held it, from stored events (through the pallet it was packed in)."""

from __future__ import annotations

import pytest

from supplyguard.errors import EpcisEventNotFound
from supplyguard.services import tracking as service
from supplyguard.services.tracking_state import object_view
from supplyguard.tracking import EventQuery
from tests.factories import admin_principal, make_org
from tests.integration.tracking.epcis_data import PALLET, as_bytes, at, document, epc, event

CARRIER = "urn:epc:id:pgln:4012345.00011"


def pallet_moved() -> dict[str, object]:
    return {
        "type": "ObjectEvent",
        "eventTime": at(10),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [PALLET],
        "action": "OBSERVE",
        "bizStep": "departing",
        "readPoint": {"id": "geo:51.95,4.14"},
        "destinationList": [{"type": "possessing_party", "destination": CARRIER}],
    }


def test_an_object_moves_and_changes_hands_with_its_pallet(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    stranger = admin_principal(make_org(container, "Customs B"))
    service.capture_events(
        container.uow(),
        container.clock,
        container.signer,
        actor,
        as_bytes(document(event(0), event(3), pallet_moved(), event(5))),
    )
    view = object_view(container.uow(readonly=True), actor, epc(0)).as_dict()
    assert view["events"] == 3  # its own event, the packing, the pallet's move (not event 5)
    state = view["state"]
    assert state["parent"] == canonical(PALLET)
    assert state["position"] == (51.95, 4.14)  # it travels in the pallet, read at a geo: point
    assert [(c["holder"], c["role"]) for c in view["custody"]] == [(canonical(CARRIER), "possessing_party")]
    pallet = object_view(container.uow(readonly=True), actor, PALLET).as_dict()
    assert pallet["state"]["read_point"] == "geo:51.95,4.14"
    with pytest.raises(EpcisEventNotFound):
        object_view(container.uow(readonly=True), stranger, epc(0))


def canonical(identifier: str) -> str:
    return EventQuery.from_params({"MATCH_anyEPC": identifier}).any_epcs[0]
