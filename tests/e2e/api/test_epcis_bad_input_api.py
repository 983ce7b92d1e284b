"""Bad EPCIS input over the API: too large (announced or streamed), far-future times, repeated
eventIDs. Each is a clear problem, leaves a failed capture job and stores no event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.services.accounts import create_token
from tests.factories import make_org, make_user
from tests.integration.tracking.epcis_data import as_bytes, document, event

LIMIT = 64 * 1024
JSON_LD = {"Content-Type": "application/ld+json"}


@pytest.fixture
def settings(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    from supplyguard.config import Settings

    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        node_name="test.node",
        node_country="NL",
        max_body_bytes=LIMIT,
    )


@pytest.fixture
def client(container) -> Iterator[tuple[TestClient, dict[str, str]]]:  # type: ignore[no-untyped-def]
    org = make_org(container, "Carrier A", "NL")
    make_user(container, org, "logistics_a", ("logistics",))
    token = create_token(container.uow(), container.clock, None, "logistics_a", "test").token
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client, {"Authorization": f"Bearer {token}"}


def _stored(client: TestClient, headers: dict[str, str]) -> list[Any]:
    found = client.get("/epcis/events", headers=headers).json()
    return list(found["epcisBody"]["queryResults"]["resultsBody"]["eventList"])


def _big_document(size: int) -> bytes:
    events = [
        event(n) | {"eventID": f"urn:uuid:00000000-0000-4000-8000-{n:012d}"} for n in range(size // 300)
    ]
    data = as_bytes(document(*events))
    assert len(data) > size
    return data


def test_a_document_over_the_limit_is_413_when_announced(client: tuple[TestClient, dict[str, str]]) -> None:
    test_client, headers = client
    response = test_client.post("/epcis/capture", content=_big_document(LIMIT), headers=headers | JSON_LD)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert str(LIMIT) in response.json()["detail"]
    assert _stored(test_client, headers) == []


def test_a_streamed_document_over_the_limit_is_413(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    test_client, headers = client
    data = _big_document(4 * LIMIT)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the router counts while it reads
        for start in range(0, len(data), 8192):
            yield data[start : start + 8192]

    response = test_client.post("/epcis/capture", content=chunks(), headers=headers | JSON_LD)
    assert response.status_code == 413
    assert response.json()["title"] == "Payload too large"
    assert _stored(test_client, headers) == []


def test_an_event_far_in_the_future_is_refused_by_its_path(client: tuple[TestClient, dict[str, str]]) -> None:
    test_client, headers = client
    future = event(1) | {"eventTime": "2999-01-01T00:00:00Z"}
    response = test_client.post(
        "/epcis/capture", content=as_bytes(document(event(0), future)), headers=headers | JSON_LD
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["loc"] for e in errors] == [["epcisBody", "eventList", 1, "eventTime"]]
    assert "future" in errors[0]["msg"]
    assert _stored(test_client, headers) == []
    jobs = test_client.get("/epcis/capture", headers=headers).json()
    assert [job["success"] for job in jobs] == [False]


def test_repeated_event_ids_are_refused_by_path_within_and_across_documents(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    test_client, headers = client
    same = "urn:uuid:6d0e4c3e-0000-4000-8000-000000000001"
    twice = document(event(0) | {"eventID": same}, event(1), event(2) | {"eventID": same})
    response = test_client.post("/epcis/capture", content=as_bytes(twice), headers=headers | JSON_LD)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["epcisBody", "eventList", 2, "eventID"]]
    assert _stored(test_client, headers) == []

    first = document(event(0) | {"eventID": same})
    assert (
        test_client.post("/epcis/capture", content=as_bytes(first), headers=headers | JSON_LD).status_code
        == 202
    )
    # another event under an eventID already held: refused whole, the new event not stored
    again = document(event(5), event(3) | {"eventID": same})
    response = test_client.post("/epcis/capture", content=as_bytes(again), headers=headers | JSON_LD)
    assert response.status_code == 409
    assert [e["loc"] for e in response.json()["errors"]] == [["epcisBody", "eventList", 1, "eventID"]]
    assert len(_stored(test_client, headers)) == 1
