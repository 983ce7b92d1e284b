"""The demo world's keyed watch lists: the Dutch list published, Korea's received, one overlap
(the alert's container) recorded as a hit that opened one disclosure request to Korea."""

from __future__ import annotations

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.adapters.db.sharing_watch_repo import WatchRepository
from supplyguard.demo.intel import AGREEMENT_ID, NL_ORG, _target
from supplyguard.demo.load import load_world
from supplyguard.demo.world import generate_world


def test_demo_watch_lists_overlap_in_one_disclosure_request(container) -> None:  # type: ignore[no-untyped-def]
    world = generate_world(seed=7, declarations_total=120)
    steps: list[str] = []
    load_world(container, world, steps.append)
    target = _target(world)
    assert target is not None
    assert any("keyed watch list from customs-kr (2 digests)" in step for step in steps)
    with container.uow(readonly=True) as uow:
        org = next(o for o in uow.accounts.list_orgs() if o.name == NL_ORG)
        watch = WatchRepository(uow.connection)
        published = {r.node for r in watch.published()}
        (received,) = watch.received()
        matches = watch.matches(org.id)
        requests = [d for d in SharingRepository(uow.connection).disclosures() if d.direction == "outgoing"]
    assert published == {"customs-kr", "carrier-oceanic"}
    assert (received.node, received.agreement_id, received.digest_count) == ("customs-kr", AGREEMENT_ID, 2)
    assert {m.digest for m in matches} == {requests[0].digest} and len(requests) == 1
    assert {m.kind for m in matches} == {"container"}
    refs = {m.local_ref for m in matches}
    assert any(ref.startswith("watch list alert demo-alert-1") for ref in refs)
    assert f"declaration {target['reference']} (container)" in refs
    assert requests[0].partner_node == "customs-kr" and requests[0].status == "open"
    assert {m.disclosure_id for m in matches} == {requests[0].id}
