"""Capture with a forked worker that parses the next slice while this process stores the last one:
the same rows, leaves and outcomes as capture in one process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Text, cast, select

from supplyguard.adapters.db.tracking_repo import TrackingRepository
from supplyguard.adapters.db.tracking_tables import tracking_events
from supplyguard.errors import DuplicateEvents, InvalidInput
from supplyguard.ledger import LeafEnvelope
from supplyguard.model.organisations import Principal
from supplyguard.services import tracking as service
from supplyguard.services.forked import can_fork
from supplyguard.tracking import EventQuery
from tests.factories import admin_principal, make_org
from tests.integration.tracking.epcis_data import as_bytes, at, document, epc, event

pytestmark = pytest.mark.skipif(not can_fork(), reason="no safe fork here (one core, or threads running)")

SLICE = 4  # events per slice: a 23-event document is six slices


def capture(container: Any, actor: Principal, data: bytes, *, worker: bool) -> service.CaptureJob:
    return service.capture_events(
        container.uow(), container.clock, container.signer, actor, data, worker=worker, slice_events=SLICE
    )


def outcome(container: Any, actor: Principal, data: bytes, *, worker: bool) -> tuple[str, Any]:
    try:
        job = capture(container, actor, data, worker=worker)
    except (InvalidInput, DuplicateEvents) as exc:
        return type(exc).__name__, (exc.message, exc.errors)  # type: ignore[union-attr]
    return "captured", job.event_count


def stored(container: Any, actor: Principal) -> list[tuple[Any, ...]]:
    """Each stored event as the queries see it, with its leaf, in capture order."""
    out = []
    with container.uow(readonly=True) as uow:
        for row in TrackingRepository(uow.connection).query(actor.org_id, EventQuery(), None, 1000):
            (leaf,) = uow.ledger.find_by_record(service.EVENT_LEAF_KIND, row.id)
            assert leaf.index == row.ledger_index
            envelope = LeafEnvelope.from_bytes(leaf.leaf)
            assert envelope.org == str(actor.org_id) and envelope.id == str(row.id)
            assert f"ni:///sha-256;{envelope.body_sha256}?ver=CBV2.0" == row.event.event_hash
            e = row.event
            out.append((e.body, e.event_hash, e.event_id, e.event_time, e.biz_location, e.sensor_readings))
    return out


def ledger_size(container: Any) -> int:
    with container.uow(readonly=True) as uow:
        return int(uow.ledger.size())


DOCUMENT = document(*(event(n) for n in range(23)))


def test_the_worker_stores_what_one_process_stores(container) -> None:  # type: ignore[no-untyped-def]
    alone, forked = (admin_principal(make_org(container, name, "NL")) for name in ("Alone", "Forked"))
    size = ledger_size(container)
    assert capture(container, alone, as_bytes(DOCUMENT), worker=False).event_count == 23
    assert capture(container, forked, as_bytes(DOCUMENT), worker=True).event_count == 23
    assert stored(container, forked) == stored(container, alone)
    assert ledger_size(container) == size + 46
    for actor in (alone, forked):
        assert service.verify_events(container.uow(readonly=True), actor) == []
        page = service.query_events(
            container.uow(readonly=True),
            container.clock,
            actor,
            {"MATCH_epc": epc(1), "EQ_type": "gs1:Temperature", "GE_value": "5"},
        )
        assert page.count == 1  # event 13: a temperature of 13 on EPC 1 (event 1 reads 1)


def refused_whole(container: Any, data: bytes, expected: str, prepare: bytes | None = None) -> None:
    """The worker's outcome is the one-process outcome, and nothing of the document is stored."""
    outcomes = []
    for worker in (False, True):
        actor = admin_principal(make_org(container, f"Org {worker}", "NL"))
        if prepare is not None:
            capture(container, actor, prepare, worker=False)
        before, size = stored(container, actor), ledger_size(container)
        outcomes.append(outcome(container, actor, data, worker=worker))
        assert stored(container, actor) == before
        assert ledger_size(container) == size
        with container.uow(readonly=True) as uow:
            job = TrackingRepository(uow.connection).jobs(actor.org_id)[0]
        assert job.status == "failed" and job.error_text
    assert outcomes[0][0] == expected
    assert outcomes[1] == outcomes[0]


def test_an_invalid_event_in_a_later_slice_refuses_the_whole(container) -> None:  # type: ignore[no-untyped-def]
    events = [event(n) for n in range(23)]
    events[2] = {**events[2], "action": "LOOK"}
    events[18] = {**events[18], "eventTime": "soon"}
    refused_whole(container, as_bytes(document(*events)), "ValidationFailed")


def test_a_time_far_ahead_in_the_last_slice_refuses_the_whole(container) -> None:  # type: ignore[no-untyped-def]
    events = [event(n) for n in range(23)]
    events[22] = {**events[22], "eventTime": "2999-01-01T00:00:00Z"}
    refused_whole(container, as_bytes(document(*events)), "ValidationFailed")


def test_an_event_repeated_across_slices_is_refused(container) -> None:  # type: ignore[no-untyped-def]
    events = [event(n) for n in range(23)]
    refused_whole(container, as_bytes(document(*events, event(3))), "DuplicateEvents")


def test_an_event_held_already_is_named_at_its_place(container) -> None:  # type: ignore[no-untyped-def]
    earlier = as_bytes(document(event(30), event(31)))
    later = [event(n) for n in range(20)]
    later[13] = event(31)
    refused_whole(container, as_bytes(document(*later)), "DuplicateEvents", prepare=earlier)


def test_an_invalid_event_after_one_held_already_is_what_is_reported(container) -> None:  # type: ignore[no-untyped-def]
    earlier = as_bytes(document(event(30)))
    later = [event(n) for n in range(20)]
    later[1] = event(30)  # refused by the database in the first slice
    later[17] = {**later[17], "readPoint": "nowhere"}  # refused by the checks, later
    refused_whole(container, as_bytes(document(*later)), "ValidationFailed", prepare=earlier)


def test_an_error_declaration_in_a_later_slice(container) -> None:  # type: ignore[no-untyped-def]
    events = [event(n) for n in range(10)]
    declared = {**events[2], "errorDeclaration": {"declarationTime": at(30), "reason": "incorrect_data"}}
    actor = admin_principal(make_org(container))
    assert capture(container, actor, as_bytes(document(*events, declared)), worker=True).event_count == 11
    assert len(stored(container, actor)) == 11


def test_members_after_the_event_list_are_captured_as_read_whole(container, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the worker streams the events, meets a member after the list, drops what it stored and
    # captures again from the whole document: the outcome of one process, stored once
    doc = document(*(event(n) for n in range(23)))
    doc["epcisBody"]["ex:note"] = ["after the events"]
    data = as_bytes(doc)
    assert data.rstrip().endswith(b"]}}")
    alone, forked = (admin_principal(make_org(container, name, "NL")) for name in ("Alone", "Forked"))
    size = ledger_size(container)
    assert capture(container, alone, data, worker=False).event_count == 23
    streamed: list[bool] = []
    checked = service._capture_checked

    def noting(*args: Any) -> service.CaptureJob:
        streamed.append(args[-1].stream)
        return checked(*args)

    monkeypatch.setattr(service, "_capture_checked", noting)
    assert capture(container, forked, data, worker=True).event_count == 23
    assert streamed == [True, False]  # streamed, then read whole
    assert stored(container, forked) == stored(container, alone)
    assert ledger_size(container) == size + 46
    with container.uow(readonly=True) as uow:
        jobs = TrackingRepository(uow.connection).jobs(forked.org_id)
    assert [job.status for job in jobs] == ["succeeded"]


def stored_bodies(container: Any, actor: Principal) -> list[str]:
    """Each stored event's body as the database holds it (its JSON text), in capture order."""
    t = tracking_events.c
    with container.uow(readonly=True) as uow:
        query = select(cast(t.body, Text)).where(t.org_id == actor.org_id).order_by(t.record_time, t.id)
        return list(uow.connection.execute(query).scalars())


def test_the_worker_stores_an_event_s_json_as_sent_on_one_line(container) -> None:  # type: ignore[no-untyped-def]
    # the streamed worker keeps each event's text (no body written anew); a pretty-printed document's
    # bodies, and a capture in one process, are written compact: the same JSON values either way
    events = [event(n) for n in range(23)]
    events[5] = {**events[5], "ex:note": 'caf\u00e9 \u2603 \\ "quoted"'}
    one_line = json.dumps(document(*events)).encode()
    pretty = json.dumps(document(*events), indent=2, ensure_ascii=False).encode()
    compact = [json.dumps(e, separators=(",", ":")) for e in events]
    for name, data, worker, expected in (
        ("As sent", one_line, True, [json.dumps(e) for e in events]),
        ("Pretty", pretty, True, compact),
        ("Alone", one_line, False, compact),
    ):
        actor = admin_principal(make_org(container, name, "NL"))
        capture(container, actor, data, worker=worker)
        texts = stored_bodies(container, actor)
        assert texts == expected
        assert [json.loads(text) for text in texts] == events
        assert [e[0] for e in stored(container, actor)] == events
