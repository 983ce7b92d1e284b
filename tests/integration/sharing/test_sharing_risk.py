"""Received intelligence raises the risk of matching declarations: at ingest and at intake."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.adapters.db.sharing_tables import sharing_declaration_keys
from supplyguard.model.declarations import Declaration
from supplyguard.risk.signals import SignalSource
from supplyguard.services.declarations import record_outcome, submit_declaration
from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_ingest import ingest_objects
from supplyguard.services.sharing_publish import delete_object, publish_object
from supplyguard.services.sharing_risk import _keys, declaration_keys, serves_risk_targeting
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.sharing import parse_agreement
from tests.factories import declaration_data
from tests.integration.sharing.nodes import AGREEMENT, SharingTestNode, link

SEIZURE = {
    "kind": "seizure",
    "tlp": "amber",
    "key": "seizure-1",
    "name": "Seizure of 120 kg cocaine",
    "seized_at": "2026-11-20T06:30:00Z",
    "shipment": {"container_numbers": ["CSQU3054383"], "goods": [{"description": "bananas"}]},
}
PARTY = {
    "kind": "suspect-party",
    "tlp": "amber",
    "key": "party-1",
    "name": "Golden Harbor Trading",
    "roles": ["consignee"],
    "country": "NL",
}


def publish(node: SharingTestNode, spec: dict[str, Any]) -> str:
    stix = build_from_spec(spec, node.node.author_ref, node.clock.now())
    return publish_object(node.container.uow(), node.admin, node.node, stix).held.stix_id


def pull(receiver: SharingTestNode, sender: SharingTestNode) -> Any:
    page = feed_page(sender.container.uow(readonly=True), receiver.node_id, limit=1000)
    wires = [entry.wire for entry in page.entries]
    return ingest_objects(receiver.container.uow(), receiver.node, sender.node_id, wires)


def submit(node: SharingTestNode, reference: str, **overrides: Any) -> Declaration:
    c = node.container
    data = declaration_data(reference, **overrides)
    return submit_declaration(c.uow(), c.clock, c.refdata, c.signer, node.admin, data)


def close(node: SharingTestNode, declaration: Declaration) -> None:
    """Record a compliant inspection outcome: the declaration is closed."""
    c = node.container
    record_outcome(
        c.uow(),
        c.clock,
        c.signer,
        node.admin,
        declaration.id,
        inspected=True,
        result="compliant",
        duty_recovered=0.0,
        notes="ok",
    )


def signals(node: SharingTestNode, declaration: Declaration) -> dict[str, Any]:
    with node.container.uow(readonly=True) as uow:
        stored = uow.risk.signals_for([declaration.id]).get(declaration.id, [])
        state = uow.risk.risk_state(declaration.id)
    assert state is not None
    return {
        "by_ref": {s.signal.ref: s.signal for s in stored},
        "lane": state[2],
        "reasons": state[3],
    }


def test_ingest_flags_open_declarations_and_intake_flags_new_ones(
    node_a: SharingTestNode, node_b: SharingTestNode
) -> None:
    link(node_a, node_b)
    before = submit(node_a, "DECL-1")
    seizure = publish(node_b, SEIZURE)
    party = publish(node_b, PARTY)

    report = pull(node_a, node_b)
    assert len(report.stored) == 2 and report.signals == 2
    found = signals(node_a, before)
    assert set(found["by_ref"]) == {seizure, party}
    by_container = found["by_ref"][seizure]
    assert by_container.source is SignalSource.INTEL and by_container.kind == "intel-seizure"
    assert by_container.reason == "container CSQU3054383 named in a seizure reported by customs-b"
    assert (
        found["by_ref"][party].reason
        == "importer on partner watch list (suspect party reported by customs-b)"
    )
    assert found["lane"] == "red"
    assert "intel: container CSQU3054383 named in a seizure reported by customs-b" in found["reasons"]
    assert "Golden Harbor" not in " ".join(found["reasons"])  # the intel's content stays on the intel pages

    assert pull(node_a, node_b).signals == 0  # the same delivery again raises nothing more
    after = submit(node_a, "DECL-2")
    assert set(signals(node_a, after)["by_ref"]) == {seizure, party}


def test_a_deleted_object_no_longer_flags_new_declarations(
    node_a: SharingTestNode, node_b: SharingTestNode
) -> None:
    link(node_a, node_b)
    seizure = publish(node_b, SEIZURE)
    pull(node_a, node_b)
    delete_object(node_b.container.uow(), node_b.admin, node_b.node, seizure, "entered in error")
    report = pull(node_a, node_b)
    assert report.deleted == [seizure]
    with node_a.container.uow(readonly=True) as uow:
        assert SharingRepository(uow.connection).intel_keys_matching([("container", "CSQU3054383")]) == []
    assert signals(node_a, submit(node_a, "DECL-3"))["by_ref"] == {}


def test_only_intel_an_agreement_lets_us_use_for_targeting_and_below_red_serves() -> None:
    agreement = parse_agreement(AGREEMENT)
    amber = {"object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}
    red = {"object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}
    assert serves_risk_targeting(amber, agreement, "customs-b")
    assert not serves_risk_targeting(red, agreement, "customs-b")
    assert not serves_risk_targeting({**amber, "revoked": True}, agreement, "customs-b")
    assert not serves_risk_targeting(amber, None, "customs-b")
    enforcement_only = parse_agreement(
        AGREEMENT.replace("purposes: [risk-targeting]", "purposes: [enforcement]")
    )
    assert not serves_risk_targeting(amber, enforcement_only, "carrier-x")
    assert serves_risk_targeting(amber, agreement, "carrier-x")


def test_declarations_with_an_outcome_are_not_raised_at_ingest(
    node_a: SharingTestNode, node_b: SharingTestNode
) -> None:
    link(node_a, node_b)
    closed = submit(node_a, "DECL-CLOSED")
    close(node_a, closed)
    still_open = submit(node_a, "DECL-OPEN")
    publish(node_b, SEIZURE)
    assert pull(node_a, node_b).signals == 1
    assert signals(node_a, closed)["by_ref"] == {}
    assert len(signals(node_a, still_open)["by_ref"]) == 1


def test_ingest_looks_up_only_the_declarations_its_keys_can_match(
    node_a: SharingTestNode, node_b: SharingTestNode, monkeypatch: Any
) -> None:
    """Each delivery reads the declarations indexed under its objects' keys (no scan of every open
    declaration), and finds exactly what the scan found: same declarations, same order, closed
    ones left out, a declaration matching by container and by name read once."""
    link(node_a, node_b)
    c = node_a.container
    other_name = {"code": "IMP2", "name": "Blue Lagoon Imports", "country": "NL"}
    by_container = submit(node_a, "DECL-C")  # CSQU3054383 and Golden Harbor: both keys
    by_name = submit(node_a, "DECL-N", containers=["MSKU1234565"])
    unrelated = submit(node_a, "DECL-U", containers=["MSKU1234565"], importer=other_name)
    closed = submit(node_a, "DECL-X")
    close(node_a, closed)
    with c.uow(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        keys = {
            (k.kind, k.value) for d in repo.open_declarations() for k in _keys(d.containers, d.party_names)
        }
        wanted = {("container", "CSQU3054383"), *(key for key in keys if key[0] == "party_name")}
        wanted -= {key for key in keys if "blue" in key[1]}
        scanned = [
            d.id
            for d in repo.open_declarations()
            if any((k.kind, k.value) in wanted for k in _keys(d.containers, d.party_names))
        ]
        looked_up = [d.id for d in repo.open_declarations_matching(wanted)]
    assert looked_up == scanned == sorted([by_container.id, by_name.id])
    assert unrelated.id not in looked_up and closed.id not in looked_up

    def no_scan(*_: Any, **__: Any) -> Any:
        raise AssertionError("ingest scanned every open declaration")

    monkeypatch.setattr(SharingRepository, "open_declarations", no_scan)
    seizure = publish(node_b, SEIZURE)
    party = publish(node_b, PARTY)
    assert pull(node_a, node_b).signals == 3  # DECL-C: seizure and party; DECL-N: party by name
    assert set(signals(node_a, by_container)["by_ref"]) == {seizure, party}
    assert set(signals(node_a, by_name)["by_ref"]) == {party}
    assert signals(node_a, unrelated)["by_ref"] == {}
    assert signals(node_a, closed)["by_ref"] == {}


def test_the_migration_indexes_the_declarations_open_when_it_runs(node_a: SharingTestNode) -> None:
    """Migration 0021 fills the index for open declarations with the key function intake uses."""
    from alembic import command

    from supplyguard.adapters.db.migrate import _config, upgrade

    c = node_a.container
    still_open = submit(node_a, "DECL-OPEN", containers=["MSKU1234565", "CSQU3054383"])
    closed = submit(node_a, "DECL-X")
    close(node_a, closed)

    def indexed() -> set[tuple[str, str, Any]]:
        with c.uow(readonly=True) as uow:
            rows = uow.connection.execute(select(sharing_declaration_keys)).all()
        return {(row.kind, row.value, row.declaration_id) for row in rows}

    at_intake = indexed()
    assert {key for key in at_intake if key[2] == still_open.id} == {
        ("container", "MSKU1234565", still_open.id),
        ("container", "CSQU3054383", still_open.id),
        *(
            (kind, value, still_open.id)
            for kind, value in declaration_keys([], {"importer": "Golden Harbor Trading Co., Ltd"})
        ),
    }
    config = _config()
    with c.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0020")
    upgrade(c.engine)
    assert indexed() == {key for key in at_intake if key[2] == still_open.id}  # the closed one: none


def _indexed(node: SharingTestNode) -> set[tuple[str, str, Any]]:
    with node.container.uow(readonly=True) as uow:
        rows = uow.connection.execute(select(sharing_declaration_keys)).all()
    return {(row.kind, row.value, row.declaration_id) for row in rows}


def test_recording_an_outcome_takes_the_declaration_out_of_the_index(node_a: SharingTestNode) -> None:
    first = submit(node_a, "DECL-1")  # the same container and importer: the same keys
    second = submit(node_a, "DECL-2")
    keys_of = {d.id: {key for key in _indexed(node_a) if key[2] == d.id} for d in (first, second)}
    assert keys_of[first.id] and len(keys_of[first.id]) == len(keys_of[second.id])
    close(node_a, first)
    assert _indexed(node_a) == keys_of[second.id]  # the other declaration's keys stay


def test_migration_0023_drops_the_keys_of_declarations_closed_since_they_were_indexed(
    node_a: SharingTestNode,
) -> None:
    """Keys of a declaration closed before outcomes removed them (what 0021 to 0022 left) go."""
    from alembic import command

    from supplyguard.adapters.db.migrate import _config, upgrade

    c = node_a.container
    still_open = submit(node_a, "DECL-OPEN")
    closed = submit(node_a, "DECL-X", containers=["MSKU1234565"])
    stale = {key for key in _indexed(node_a) if key[2] == closed.id}
    close(node_a, closed)
    config = _config()
    with c.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0022")
        connection.execute(
            sharing_declaration_keys.insert(),
            [{"kind": k, "value": v, "declaration_id": d, "org_id": closed.org_id} for k, v, d in stale],
        )
    assert stale and stale <= _indexed(node_a)
    upgrade(c.engine)
    assert _indexed(node_a) == {key for key in _indexed(node_a) if key[2] == still_open.id} != set()


def test_an_intel_key_is_a_row_of_its_table_in_column_order() -> None:
    from supplyguard.adapters.db.sharing_repo import IntelKey
    from supplyguard.adapters.db.sharing_tables import sharing_intel_keys

    assert IntelKey._fields == tuple(column.name for column in sharing_intel_keys.columns)
