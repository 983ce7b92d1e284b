"""Partners' keyed watch lists matched at intake (submit and bulk import), on both backends."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.adapters.db.sharing_watch_repo import WatchRepository
from supplyguard.services.declarations import submit_declaration
from supplyguard.services.import_formats import read_ndjson
from supplyguard.services.imports import import_declarations
from supplyguard.services.risk_intake import IntakeConfig, IntakeRisk
from supplyguard.services.sharing_watch import _store_received, install_watch_secret
from supplyguard.services.watch_intake import WatchIntake
from supplyguard.sharing import IdentifierKind, KeyedWatchList, watch_list_key_id
from supplyguard.sharing.keyed import keyed_digest
from supplyguard.sharing.watch_exchange import list_key, sign_watch_list
from tests.factories import declaration_data, make_user, principal_for
from tests.integration.sharing.nodes import SharingTestNode

SECRET = bytes(range(32))
WATCHED = "CSQU3054383"  # on customs-b's list (and in declaration_data)
NOT_WATCHED = "MSKU9070323"


def _risk(node: SharingTestNode) -> IntakeRisk:
    settings = node.container.settings
    return IntakeRisk(IntakeConfig.from_settings(settings))


def _watch(node: SharingTestNode) -> WatchIntake:
    return WatchIntake.from_settings(node.container.settings)


def _receive_list_from_b(a: SharingTestNode, b: SharingTestNode) -> str:
    """customs-b's keyed list for A (one container), held by A as a pull would have stored it."""
    install_watch_secret(
        a.container.uow(), a.node, a.admin, a.container.settings.keys_dir, "cmaa-test", SECRET
    )
    key = list_key(SECRET, "cmaa-test")
    digest = keyed_digest(key, IdentifierKind.CONTAINER, WATCHED)
    signed = sign_watch_list(
        b.node.key,
        KeyedWatchList("cmaa-test", watch_list_key_id(key), frozenset({digest})),
        a.node_id,
        a.clock.now(),
    )
    uow = a.container.uow()
    with uow:
        _store_received(uow, a.node, b.node_id, signed, a.clock.now())
        uow.commit()
    return digest


def _submit(node: SharingTestNode, reference: str, container: str, actor=None, risk=True) -> None:  # type: ignore[no-untyped-def]
    submit_declaration(
        node.container.uow(),
        node.clock,
        node.container.refdata,
        node.container.signer,
        actor or node.admin,
        declaration_data(reference, containers=[container]),
        risk=_risk(node) if risk else None,
        watch=_watch(node),
    )


def _state(node: SharingTestNode) -> tuple[list, list]:  # type: ignore[type-arg]
    with node.container.uow(readonly=True) as uow:
        matches = WatchRepository(uow.connection).matches(node.admin.org_id, limit=100)
        requests = [d for d in SharingRepository(uow.connection).disclosures() if d.direction == "outgoing"]
    return matches, requests


def test_a_submitted_declaration_on_a_received_list_opens_one_request(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    a = linked
    digest = _receive_list_from_b(a, node_b)
    _submit(a, "REF-CLEAR", NOT_WATCHED)
    assert _state(a) == ([], [])

    _submit(a, "REF-HIT", WATCHED)
    matches, requests = _state(a)
    assert [(m.partner_node, m.kind, m.digest, m.local_ref) for m in matches] == [
        ("customs-b", "container", digest, "declaration REF-HIT (container)")
    ]
    (request,) = requests
    assert (request.partner_node, request.agreement_id, request.kind, request.digest) == (
        "customs-b",
        "cmaa-test",
        "container",
        digest,
    )
    assert matches[0].disclosure_id == request.id
    with a.container.uow(readonly=True) as uow:  # the same ledger leaf as a pull's request
        assert uow.ledger.find_by_record("intel.published", request.request_note)

    # the same container again, one by one and in a bulk import: more hits, never a second request
    _submit(a, "REF-HIT-2", WATCHED)
    rows = [declaration_data(f"IMP-{n}", containers=[c]) for n, c in enumerate([WATCHED, NOT_WATCHED])]
    report = import_declarations(
        a.container.uow(),
        a.clock,
        a.container.refdata,
        a.container.signer,
        a.admin,
        read_ndjson(io.StringIO("\n".join(json.dumps(r) for r in rows))),
        source="test",
        with_outcomes=False,
        risk=_risk(a),
        watch=_watch(a),
    )
    assert report.stored == 2
    matches, requests = _state(a)
    assert sorted(m.local_ref for m in matches) == [
        "declaration IMP-0 (container)",
        "declaration REF-HIT (container)",
        "declaration REF-HIT-2 (container)",
    ]
    assert [r.id for r in requests] == [request.id]
    assert {m.disclosure_id for m in matches} == {request.id}


def test_intake_matches_received_lists_without_a_risk_scorer(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    """Watch-list matching is its own seam: a node with no risk scoring at intake still matches."""
    a = linked
    digest = _receive_list_from_b(a, node_b)
    _submit(a, "REF-NO-RISK", WATCHED, risk=False)
    matches, requests = _state(a)
    assert [(m.digest, m.local_ref) for m in matches] == [(digest, "declaration REF-NO-RISK (container)")]
    assert [r.digest for r in requests] == [digest]


def test_a_declarant_hit_is_recorded_and_left_to_the_next_pull(
    linked: SharingTestNode, node_b: SharingTestNode
) -> None:
    a = linked
    _receive_list_from_b(a, node_b)
    with a.container.uow(readonly=True) as uow:
        org = uow.accounts.list_orgs()[0]
    officer = principal_for(make_user(a.container, org, "olga", ("officer",)))
    _submit(a, "REF-OFFICER", WATCHED, officer)
    (match,), requests = _state(a)
    assert requests == [] and match.disclosure_id is None
    assert match.note is not None and "next watch-list pull" in match.note


@contextmanager
def _statements(node: SharingTestNode) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = node.container.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_without_a_received_list_intake_runs_no_extra_query(node_a: SharingTestNode) -> None:
    a = node_a
    without = IntakeRisk(IntakeConfig(1, 1, 0.0))  # and no watch intake: lists never looked at
    first = declaration_data("Q-0")
    submit_declaration(
        a.container.uow(), a.clock, a.container.refdata, a.container.signer, a.admin, first, risk=without
    )  # the parties exist from here on, so both submissions below do the same work
    with _statements(a) as plain:
        submit_declaration(
            a.container.uow(),
            a.clock,
            a.container.refdata,
            a.container.signer,
            a.admin,
            declaration_data("Q-1"),
            risk=without,
        )
    with _statements(a) as watched:  # the node's keys, but no watch-list secret: nothing received
        submit_declaration(
            a.container.uow(),
            a.clock,
            a.container.refdata,
            a.container.signer,
            a.admin,
            declaration_data("Q-2"),
            risk=_risk(a),
            watch=_watch(a),
        )
    assert not any("sharing_watch" in s for s in watched)
    assert len(watched) == len(plain)
