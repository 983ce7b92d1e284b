"""EPCIS capture and query on the node, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from supplyguard.adapters.db.tracking_repo import TrackingRepository
from supplyguard.errors import (
    CaptureJobNotFound,
    DuplicateEvents,
    EpcisEventNotFound,
    ValidationFailed,
)
from supplyguard.ledger import LeafEnvelope
from supplyguard.model.organisations import Principal
from supplyguard.services import tracking as service
from supplyguard.tracking import (
    EpcisJsonSchema,
    EventQuery,
    event_matches,
    parse_epcis_document,
    parse_epcis_json,
)
from tests.factories import admin_principal, make_org
from tests.integration.tracking.epcis_data import (
    PALLET,
    SITES,
    as_bytes,
    at,
    document,
    epc,
    event,
    gs1_folder,
    official_examples,
)


def capture(container: Any, actor: Principal, data: bytes, **options: Any) -> service.CaptureJob:
    return service.capture_events(container.uow(), container.clock, container.signer, actor, data, **options)


def stored_count(container: Any, actor: Principal) -> int:
    with container.uow(readonly=True) as uow:
        return TrackingRepository(uow.connection).count(actor.org_id)


def page_through(container: Any, actor: Principal, params: dict[str, str], per_page: int) -> list[str]:
    """Every event id the query returns, following page tokens to the end."""
    seen: list[str] = []
    token: str | None = None
    while True:
        page_params = {**params, "perPage": str(per_page)}
        if token:
            page_params["nextPageToken"] = token
        page = service.query_events(container.uow(readonly=True), container.clock, actor, page_params)
        events = page.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert len(events) == page.count <= per_page
        seen.extend(e["eventID"] for e in events)
        token = page.next_page_token
        if token is None:
            return seen


def test_every_official_example_is_captured_and_read_back(container, epcis_schema: EpcisJsonSchema) -> None:  # type: ignore[no-untyped-def]
    files = [(p, epcis_schema) for p in official_examples("JSON", (".jsonld", ".json"))]
    files += [(p, None) for p in official_examples("XML", (".xml",))]
    assert len(files) >= 70
    for number, (path, schema) in enumerate(files):
        # each file in its own organisation: several official files repeat the same events
        actor = admin_principal(make_org(container, f"Org {number}", "NL"))
        expected = parse_epcis_document(path.read_bytes())
        job = capture(container, actor, path.read_bytes(), schema=schema)
        assert job.succeeded, path
        assert job.event_count == len(expected.events), path
        page = service.query_events(container.uow(readonly=True), container.clock, actor, {"perPage": "1000"})
        body = page.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        again = parse_epcis_json(page.document)
        assert sorted(e.event_hash for e in again.events) == sorted(e.event_hash for e in expected.events), (
            path
        )
        assert len(body) == len(expected.events)
        with container.uow(readonly=True) as uow:  # the eventTime column, which time filters read
            rows = TrackingRepository(uow.connection).query(actor.org_id, EventQuery(), None, 1000)
            stored = sorted((row.event.event_hash, row.event.event_time) for row in rows)
        assert stored == sorted((e.event_hash, e.event_time) for e in expected.events), path


def test_each_event_is_a_ledger_leaf_whose_body_hash_is_the_event_hash(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    capture(container, actor, as_bytes(document(event(0), event(3))))
    with container.uow(readonly=True) as uow:
        rows = TrackingRepository(uow.connection).query(actor.org_id, EventQuery(), None, 10)
        assert len(rows) == 2
        for row in rows:
            (leaf,) = uow.ledger.find_by_record(service.EVENT_LEAF_KIND, row.id)
            envelope = LeafEnvelope.from_bytes(leaf.leaf)
            assert leaf.index == row.ledger_index
            assert f"ni:///sha-256;{envelope.body_sha256}?ver=CBV2.0" == row.event.event_hash
            assert envelope.org == str(actor.org_id)
        assert uow.ledger.latest_checkpoint() is not None


QUERIES = [
    {},
    {"MATCH_epc": epc(1)},
    {"MATCH_anyEPC": PALLET},
    {"MATCH_anyEPC": f"{epc(2)},{PALLET}"},
    {"MATCH_parentID": PALLET},
    {"EQ_bizLocation": SITES[0], "GE_eventTime": at(4), "LT_eventTime": at(17)},
    {"eventType": "AggregationEvent"},
    {"eventType": "ObjectEvent", "EQ_bizStep": "receiving"},
    {"EQ_action": "OBSERVE", "EQ_readPoint": SITES[1]},
    {"EQ_type": "gs1:Temperature", "GE_value": "5", "LE_value": "17.5"},
    {"GE_value": "14"},
]


@pytest.mark.parametrize("params", QUERIES, ids=[",".join(q) or "all" for q in QUERIES])
def test_queries_page_through_every_match_exactly_once(container, params: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    bodies = [event(n) for n in range(24)]
    for start in range(0, 24, 8):  # three captures, so three record times
        capture(container, actor, as_bytes(document(*bodies[start : start + 8])))
    oracle = parse_epcis_document(as_bytes(document(*bodies)))
    query = EventQuery.from_params(params)
    expected = [e.event_hash for e in oracle.events if event_matches(e, query)]
    assert expected, "each query must match something"
    for per_page in (1, 5, 100):
        seen = page_through(container, actor, params, per_page)
        assert len(seen) == len(set(seen))
        assert sorted(seen) == sorted(expected)


def test_record_time_bounds_and_capture_order(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    capture(container, actor, as_bytes(document(event(0), event(1))))
    first = page_through(container, actor, {}, 10)
    capture(container, actor, as_bytes(document(event(2))))
    with container.uow(readonly=True) as uow:
        rows = TrackingRepository(uow.connection).query(actor.org_id, EventQuery(), None, 10)
    assert [r.event.event_id for r in rows][:2] == first
    second_time = rows[-1].event.record_time
    assert second_time is not None
    later = page_through(container, actor, {"GE_recordTime": second_time.isoformat()}, 10)
    assert later == [rows[-1].event.event_id]
    assert page_through(container, actor, {"LT_recordTime": second_time.isoformat()}, 10) == first


def test_a_duplicate_capture_is_refused_whole_with_the_paths(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    capture(container, actor, as_bytes(document(event(0), event(1), event(2))))
    with container.uow(readonly=True) as uow:
        ledger_size = uow.ledger.size()
    with pytest.raises(DuplicateEvents) as refused:
        capture(container, actor, as_bytes(document(event(5), event(1), event(6))))
    assert [e.location for e in refused.value.errors] == [("epcisBody", "eventList", 1)]
    with pytest.raises(DuplicateEvents) as repeated:
        capture(container, actor, as_bytes(document(event(7), event(7))))
    assert [e.location for e in repeated.value.errors] == [("epcisBody", "eventList", 1)]
    assert stored_count(container, actor) == 3
    with container.uow(readonly=True) as uow:
        assert uow.ledger.size() == ledger_size
        jobs = TrackingRepository(uow.connection).jobs(actor.org_id)
    assert [j.status for j in jobs] == ["failed", "failed", "succeeded"]
    assert jobs[0].errors[0]["loc"] == ["epcisBody", "eventList", 1]


def test_an_error_declaration_is_stored_beside_the_event_it_corrects(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    original = event(0)
    capture(container, actor, as_bytes(document(original)))
    declared = {**original, "errorDeclaration": {"declarationTime": at(30), "reason": "incorrect_data"}}
    capture(container, actor, as_bytes(document(declared)))
    (stored,) = parse_epcis_document(as_bytes(document(original))).events
    result = service.get_event(container.uow(readonly=True), container.clock, actor, stored.event_hash)
    found = result["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert len(found) == 2 and "errorDeclaration" in found[1]
    with pytest.raises(DuplicateEvents):
        capture(container, actor, as_bytes(document(declared)))


def test_a_malformed_document_is_refused_with_the_field_path(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    bad = event(0) | {"eventTime": "yesterday"}
    with pytest.raises(ValidationFailed) as refused:
        capture(container, actor, as_bytes(document(event(1), bad)))
    assert any(e.location[:3] == ("epcisBody", "eventList", 1) for e in refused.value.errors)
    assert stored_count(container, actor) == 0
    (job,) = service.list_capture_jobs(container.uow(readonly=True), actor)
    assert job.status == "failed" and job.error_text


def test_another_organisation_sees_nothing(container) -> None:  # type: ignore[no-untyped-def]
    owner = admin_principal(make_org(container, "Customs A"))
    stranger = admin_principal(make_org(container, "Customs B"))
    job = capture(container, owner, as_bytes(document(event(0), event(3))))
    (stored,) = parse_epcis_document(as_bytes(document(event(0)))).events
    assert page_through(container, stranger, {}, 10) == []
    assert page_through(container, stranger, {"MATCH_epc": epc(0)}, 10) == []
    with pytest.raises(EpcisEventNotFound):
        service.get_event(container.uow(readonly=True), container.clock, stranger, stored.event_hash)
    with pytest.raises(CaptureJobNotFound):
        service.get_capture_job(container.uow(readonly=True), stranger, job.id)
    # the same event is the stranger's own business: capturing it is no duplicate
    assert capture(container, stranger, as_bytes(document(event(0)))).succeeded
    assert service.get_capture_job(container.uow(readonly=True), owner, job.id).event_count == 2


def test_a_page_token_only_continues_its_own_query(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    capture(container, actor, as_bytes(document(*[event(n) for n in range(4)])))
    page = service.query_events(container.uow(readonly=True), container.clock, actor, {"perPage": "1"})
    assert page.next_page_token
    with pytest.raises(ValidationFailed):
        service.query_events(
            container.uow(readonly=True),
            container.clock,
            actor,
            {"perPage": "1", "eventType": "ObjectEvent", "nextPageToken": page.next_page_token},
        )
    with pytest.raises(ValidationFailed):
        service.query_events(container.uow(readonly=True), container.clock, actor, {"perPage": "0"})


def test_verification_names_an_event_changed_behind_the_ledgers_back(container) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from supplyguard.adapters.db.tracking_tables import tracking_events

    actor = admin_principal(make_org(container))
    capture(container, actor, as_bytes(document(*[event(n) for n in range(6)])))
    xml = gs1_folder() / "XML" / "AssociationEvent" / "AssociationEventExamples.xml"
    capture(container, actor, xml.read_bytes())
    assert service.verify_events(container.uow(readonly=True), actor, batch_size=4) == []
    with container.uow(readonly=True) as uow:
        (victim,) = TrackingRepository(uow.connection).query(
            actor.org_id, EventQuery.from_params({"MATCH_epc": epc(1)}), None, 1
        )
    changed = {**victim.event.body, "bizStep": "destroying"}
    with container.engine.begin() as conn:
        conn.execute(update(tracking_events).where(tracking_events.c.id == victim.id).values(body=changed))
    (problem,) = service.verify_events(container.uow(readonly=True), actor, batch_size=4)
    assert str(victim.id) in problem and "changed behind the ledger's back" in problem


def test_an_event_id_already_captured_is_refused_for_another_event(container) -> None:  # type: ignore[no-untyped-def]
    actor = admin_principal(make_org(container))
    capture(
        container,
        actor,
        as_bytes(document(event(0) | {"eventID": "urn:uuid:7f0c2d8e-0000-4000-8000-000000000001"})),
    )
    reused = event(1) | {"eventID": "urn:uuid:7f0c2d8e-0000-4000-8000-000000000001"}
    with pytest.raises(DuplicateEvents) as refused:
        capture(container, actor, as_bytes(document(event(2), reused)))
    assert [e.location for e in refused.value.errors] == [("epcisBody", "eventList", 1, "eventID")]
    assert stored_count(container, actor) == 1


def test_values_that_need_escaping_and_times_as_written_read_back_unchanged(container) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL gets the event and identifier rows in binary COPY form (times as microseconds since
    # 2000, texts as their UTF-8 length and bytes: nothing escaped)
    actor = admin_principal(make_org(container))
    awkward = event(0) | {
        "eventID": "urn:x:back\\slash\\N",
        "eventTime": "2026-03-01T10:00:00.123456+02:00",
        "eventTimeZoneOffset": "+02:00",
        "ex:note": "tab\there\nline\r\\N é ☃",
        "epcList": ["urn:x:odd\\epc\\N", "urn:x:caf\u00e9-\u2603"],
    }
    times = [  # fractions and offsets, in a document of their own
        event(1) | {"eventID": "urn:x:fraction", "eventTime": "2026-03-01T08:00:00.5Z"},
        event(2) | {"eventID": "urn:x:west", "eventTime": "2026-03-01T08:00:00-05:30"},
        event(3) | {"eventID": "urn:x:east", "eventTime": "2026-03-01T08:00:00.123456+13:45"},
        event(4) | {"eventID": "urn:x:seconds", "eventTime": "2026-03-01T08:00:00+00:00"},
    ]
    for data in (as_bytes(document(awkward)), as_bytes(document(*times))):
        capture(container, actor, data)
        with container.uow(readonly=True) as uow:
            repo = TrackingRepository(uow.connection)
            for sent in parse_epcis_document(data).events:
                assert sent.event_id is not None
                (stored,) = repo.find(actor.org_id, sent.event_id)
                assert stored.event.event_id == sent.event_id
                assert stored.event.event_time == sent.event_time
                assert stored.event.body == sent.body
                assert stored.event.event_hash == sent.event_hash
    # the identifier rows too: each odd EPC finds its event
    for odd in ("urn:x:odd\\epc\\N", "urn:x:caf\u00e9-\u2603"):
        page = service.query_events(container.uow(readonly=True), container.clock, actor, {"MATCH_epc": odd})
        found = page.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert [e["eventID"] for e in found] == ["urn:x:back\\slash\\N"]
