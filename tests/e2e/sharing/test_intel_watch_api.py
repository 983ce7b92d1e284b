"""/v1/intel/watchlist and /v1/intel/import through the ASGI app: happy paths and bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.services.sharing_watch import install_watch_secret
from tests.e2e.sharing.test_intel_api import Side, sides
from tests.integration.sharing.nodes import SUSPECT, SharingTestNode, link, make_sharing_node, sqlite_settings

__all__ = ["sides"]


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def bundle_from(node: SharingTestNode, recipient: str, count: int) -> bytes:
    for n in range(count):
        stix = build_from_spec({**SUSPECT, "key": f"api-import-{n}"}, node.node.author_ref, node.clock.now())
        publish_object(node.container.uow(), node.admin, node.node, stix)
    objects = [e.wire for e in feed_page(node.container.uow(readonly=True), recipient, limit=1000).entries]
    return json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}).encode()


def test_import_a_partner_bundle_as_a_file_upload_or_a_raw_body(sides: tuple[Side, Side]) -> None:
    a, b = sides
    data = bundle_from(a.node, "customs-b", 3)
    upload = b.client.post(
        "/v1/intel/import",
        params={"from": "test.node", "chunk": 2},
        files={"file": ("bundle.json", data, "application/json")},
        headers=b.headers,
    )
    assert upload.status_code == 200, upload.text
    assert {k: upload.json()[k] for k in ("objects", "chunks", "stored", "rejected")} == {
        "objects": 3,
        "chunks": 2,
        "stored": 3,
        "rejected": 0,
    }
    again = b.client.post(
        "/v1/intel/import",
        params={"from": "test.node"},
        content=data,
        headers={**b.headers, "Content-Type": "application/json"},
    )
    assert again.status_code == 200 and (again.json()["stored"], again.json()["duplicates"]) == (0, 3)
    form = b.client.post(  # the partner may also be named as a form field
        "/v1/intel/import", data={"from": "test.node"}, files={"file": ("b.json", data)}, headers=b.headers
    )
    assert form.status_code == 200 and form.json()["duplicates"] == 3
    held = b.client.get("/v1/intel", params={"origin": "received"}, headers=b.headers).json()["objects"]
    assert len(held) == 3


def test_import_refuses_bad_input_with_problems(sides: tuple[Side, Side]) -> None:
    a, b = sides
    data = bundle_from(a.node, "customs-b", 1)
    post = b.client.post
    problem(post("/v1/intel/import", files={"file": ("b.json", data)}, headers=b.headers), 422)  # no sender
    problem(post("/v1/intel/import?from=test.node", files={"file": ("b.json", b"")}, headers=b.headers), 422)
    problem(
        post(
            "/v1/intel/import?from=test.node", data={"x": "1"}, files={"y": ("b", b"{}")}, headers=b.headers
        ),
        422,
    )
    truncated = {"file": ("b.json", b'{"type": "bundle", "objects": [{')}
    broken = problem(post("/v1/intel/import?from=test.node", files=truncated, headers=b.headers), 422)
    assert broken["detail"]
    problem(
        post("/v1/intel/import?from=test.node", files={"file": ("b.json", b"\xff\xfe{}")}, headers=b.headers),
        422,
    )
    problem(post("/v1/intel/import?from=nobody", files={"file": ("b.json", data)}, headers=b.headers), 403)
    problem(post("/v1/intel/import?from=test.node&chunk=0", content=data, headers=b.headers), 422)
    officer = b.as_user("olga", "officer")
    problem(post("/v1/intel/import?from=test.node", content=data, headers=officer), 403)
    problem(post("/v1/intel/import?from=test.node", content=data), 401)
    assert b.client.get("/v1/intel", params={"origin": "received"}, headers=b.headers).json()["objects"] == []


@pytest.fixture
def small_limit(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = sqlite_settings(tmp_path, sqlite_template, "customs-b").model_copy(
        update={"max_body_bytes": 4096}
    )
    node = make_sharing_node(settings, "Customs B")
    other = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "test.node"), "Customs A")
    link(node, other)
    with TestClient(create_app(node.container), raise_server_exceptions=False) as client:
        side = Side(node, client, {})
        side.headers = side.as_user("anna", "analyst")
        yield client, side.headers
    node.container.close()
    other.container.close()


def test_the_api_body_limit_holds_even_without_a_content_length(
    small_limit: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = small_limit
    big = b'{"type": "bundle", "objects": [' + b" " * 10_000 + b"]}"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    problem(client.post("/v1/intel/import?from=test.node", content=big, headers=headers), 413)
    streamed = client.post("/v1/intel/import?from=test.node", content=chunks(), headers=headers)
    assert problem(streamed, 413)["detail"].endswith("limit of 4096 bytes")
    multipart = client.post(
        "/v1/intel/import?from=test.node", files={"file": ("b.json", big)}, headers=headers
    )
    problem(multipart, 413)


def test_watch_list_routes(sides: tuple[Side, Side]) -> None:
    a, _ = sides
    client, headers = a.client, a.headers
    entries = {
        "entries": [
            {"kind": "container", "value": "CSQU 305438-3", "reference": "case 1"},
            {"kind": "tax_id", "value": "123-456", "reference": "case 2", "country": "nl"},
        ]
    }
    added = client.post("/v1/intel/watchlist", json=entries, headers=headers)
    assert added.status_code == 201, added.text
    assert [e["canonical"] for e in added.json()["added"]] == ["CSQU3054383", "NL:123456"]
    bad = problem(
        client.post(
            "/v1/intel/watchlist",
            json={"entries": [{"kind": "imo", "value": "1234568", "reference": "r"}]},
            headers=headers,
        ),
        422,
    )
    assert bad["errors"][0]["loc"] == ["entries", 0, "value"]
    problem(client.post("/v1/intel/watchlist", json={"entries": []}, headers=headers), 422)
    listed = client.get("/v1/intel/watchlist", headers=headers).json()
    assert len(listed["entries"]) == 2 and listed["published"] == [] and listed["received"] == []

    nosecret = problem(
        client.post("/v1/intel/watchlist/publish", json={"agreement": "cmaa-test"}, headers=headers), 422
    )
    assert "no watch-list secret" in nosecret["detail"]
    node = a.node
    install_watch_secret(
        node.container.uow(), node.node, node.admin, node.container.settings.keys_dir, "cmaa-test", bytes(32)
    )
    published = client.post("/v1/intel/watchlist/publish", json={"agreement": "cmaa-test"}, headers=headers)
    assert published.status_code == 200
    assert {(p["recipient"], p["digests"]) for p in published.json()} == {("customs-b", 2), ("carrier-x", 1)}
    assert "CSQU3054383" not in published.text
    problem(client.post("/v1/intel/watchlist/publish", json={"agreement": "none"}, headers=headers), 422)

    assert client.post("/v1/intel/watchlist/pull", headers=headers).json() == []  # no partner has a URL here
    problem(client.post("/v1/intel/watchlist/pull", json={"partner": "nobody"}, headers=headers), 422)
    assert client.get("/v1/intel/watchlist/matches", headers=headers).json() == []

    first = added.json()["added"][0]["id"]
    assert client.delete(f"/v1/intel/watchlist/entries/{first}", headers=headers).status_code == 204
    problem(client.delete(f"/v1/intel/watchlist/entries/{first}", headers=headers), 404)
    problem(client.delete("/v1/intel/watchlist/entries/not-a-uuid", headers=headers), 422)
    officer = a.as_user("olga", "officer")
    assert client.get("/v1/intel/watchlist", headers=officer).status_code == 200
    problem(client.post("/v1/intel/watchlist", json=entries, headers=officer), 403)
    # the keyed route is for partner nodes: staff are told so
    problem(client.get("/v1/intel/watchlist/keyed/cmaa-test", headers=headers), 403)
