"""The EPCIS 2.0 REST endpoints: capture jobs, queries with page tokens, one event, errors as problems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.services.accounts import create_token
from tests.factories import make_org, make_user
from tests.integration.tracking.epcis_data import (
    PALLET,
    SITES,
    as_bytes,
    at,
    document,
    epc,
    event,
    gs1_folder,
)

JSON_LD = {"Content-Type": "application/ld+json"}


@dataclass
class EpcisNode:
    client: TestClient
    tokens: dict[str, str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


@pytest.fixture
def epcis_node(container) -> EpcisNode:  # type: ignore[no-untyped-def]
    org_a = make_org(container, "Carrier A", "NL")
    org_b = make_org(container, "Customs B", "KR")
    tokens = {}
    for username, org, roles in (
        ("logistics_a", org_a, ("logistics",)),
        ("auditor_a", org_a, ("auditor",)),
        ("officer_b", org_b, ("officer",)),
    ):
        make_user(container, org, username, roles)
        tokens[username] = create_token(container.uow(), container.clock, None, username, "test").token
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield EpcisNode(client, tokens)


def events_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["epcisBody"]["queryResults"]["resultsBody"]["eventList"])


def test_capture_returns_202_and_a_job_that_reports_success(epcis_node: EpcisNode) -> None:
    response = epcis_node.client.post(
        "/epcis/capture",
        content=as_bytes(document(event(0), event(3))),
        headers=epcis_node.headers("logistics_a", **JSON_LD),
    )
    assert response.status_code == 202, response.text
    location = response.headers["Location"]
    assert location == f"/epcis/capture/{response.json()['captureID']}"
    job = epcis_node.client.get(location, headers=epcis_node.headers("logistics_a")).json()
    assert job["success"] is True and job["running"] is False and job["eventCount"] == 2
    assert epcis_node.client.get(location, headers=epcis_node.headers("officer_b")).status_code == 404


def test_an_official_xml_example_is_captured(epcis_node: EpcisNode) -> None:
    path = gs1_folder() / "XML" / "AssociationEvent" / "AssociationEventExamples.xml"
    response = epcis_node.client.post(
        "/epcis/capture",
        content=path.read_bytes(),
        headers=epcis_node.headers("logistics_a", **{"Content-Type": "application/xml"}),
    )
    assert response.status_code == 202, response.text
    found = epcis_node.client.get(
        "/epcis/events?eventType=AssociationEvent&perPage=100", headers=epcis_node.headers("auditor_a")
    )
    assert len(events_of(found.json())) == response.json()["eventCount"] > 0


def test_a_malformed_document_is_a_problem_naming_the_field(epcis_node: EpcisNode) -> None:
    bad = document(event(0), event(1) | {"eventTimeZoneOffset": "ten past"})
    response = epcis_node.client.post(
        "/epcis/capture", content=as_bytes(bad), headers=epcis_node.headers("logistics_a", **JSON_LD)
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(e["loc"][:3] == ["epcisBody", "eventList", 1] for e in response.json()["errors"])
    garbage = epcis_node.client.post(
        "/epcis/capture", content=b"hello", headers=epcis_node.headers("logistics_a")
    )
    assert garbage.status_code == 422 and garbage.json()["status"] == 422
    jobs = epcis_node.client.get("/epcis/capture", headers=epcis_node.headers("logistics_a")).json()
    assert [job["success"] for job in jobs] == [False, False]


def test_a_repeated_capture_is_a_conflict_with_paths(epcis_node: EpcisNode) -> None:
    body = as_bytes(document(event(0), event(1)))
    assert (
        epcis_node.client.post(
            "/epcis/capture", content=body, headers=epcis_node.headers("logistics_a", **JSON_LD)
        ).status_code
        == 202
    )
    again = epcis_node.client.post(
        "/epcis/capture",
        content=as_bytes(document(event(2), event(1))),
        headers=epcis_node.headers("logistics_a", **JSON_LD),
    )
    assert again.status_code == 409
    assert [e["loc"] for e in again.json()["errors"]] == [["epcisBody", "eventList", 1]]
    everything = epcis_node.client.get("/epcis/events", headers=epcis_node.headers("logistics_a")).json()
    assert len(events_of(everything)) == 2


def test_query_pages_follow_the_link_header_to_the_end(epcis_node: EpcisNode) -> None:
    epcis_node.client.post(
        "/epcis/capture",
        content=as_bytes(document(*[event(n) for n in range(12)])),
        headers=epcis_node.headers("logistics_a", **JSON_LD),
    )
    url: str | None = f"/epcis/events?MATCH_anyEPC={quote(PALLET)},{quote(epc(0))}&perPage=2"
    seen: list[str] = []
    while url:
        response = epcis_node.client.get(url, headers=epcis_node.headers("auditor_a"))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/ld+json")
        seen.extend(e["eventID"] for e in events_of(response.json()))
        link = response.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
    # events 0, 3, 6, 9 name epc(0); 3, 7, 11 pack the pallet
    assert len(seen) == len(set(seen)) == 6
    window = epcis_node.client.get(
        "/epcis/events",
        params={"EQ_bizLocation": SITES[1], "GE_eventTime": at(3), "LT_eventTime": at(8)},
        headers=epcis_node.headers("auditor_a"),
    )
    assert [e["eventTime"] for e in events_of(window.json())] == [at(3), at(5), at(7)]


def test_one_event_by_id_or_hash_only_for_its_owner(epcis_node: EpcisNode) -> None:
    epcis_node.client.post(
        "/epcis/capture",
        content=as_bytes(document(event(0))),
        headers=epcis_node.headers("logistics_a", **JSON_LD),
    )
    (stored,) = events_of(
        epcis_node.client.get("/epcis/events", headers=epcis_node.headers("auditor_a")).json()
    )
    path = "/epcis/events/" + quote(stored["eventID"], safe="")
    found = epcis_node.client.get(path, headers=epcis_node.headers("auditor_a"))
    assert found.status_code == 200 and events_of(found.json())[0]["ex:note"] == "event 0"
    assert epcis_node.client.get(path, headers=epcis_node.headers("officer_b")).status_code == 404
    missing = epcis_node.client.get("/epcis/events/urn:uuid:nothing", headers=epcis_node.headers("auditor_a"))
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_bad_queries_and_missing_credentials_are_problems(epcis_node: EpcisNode) -> None:
    unknown = epcis_node.client.get("/epcis/events?EQ_colour=red", headers=epcis_node.headers("auditor_a"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["EQ_colour"]
    assert epcis_node.client.get("/epcis/events").status_code == 401
    assert epcis_node.client.post("/epcis/capture", content=b"{}").status_code == 401
    not_a_job = epcis_node.client.get("/epcis/capture/not-a-uuid", headers=epcis_node.headers("auditor_a"))
    assert not_a_job.status_code == 422
    forbidden = epcis_node.client.post(
        "/epcis/capture",
        content=as_bytes(document(event(0))),
        headers=epcis_node.headers("auditor_a", **JSON_LD),
    )
    assert forbidden.status_code == 403


def test_an_objects_state_and_custody_come_from_its_events(epcis_node: EpcisNode) -> None:
    body = as_bytes(document(event(0), event(3)))
    epcis_node.client.post(
        "/epcis/capture", content=body, headers=epcis_node.headers("logistics_a", **JSON_LD)
    )
    path = "/v1/tracking/objects/" + quote(epc(0), safe="")
    found = epcis_node.client.get(path, headers=epcis_node.headers("auditor_a"))
    assert found.status_code == 200, found.text
    assert found.json()["events"] == 2 and found.json()["state"]["biz_location"] is not None
    assert epcis_node.client.get(path, headers=epcis_node.headers("officer_b")).status_code == 404
