"""/v1/screening against lists installed in the node's data directory."""

from __future__ import annotations

from tests.conftest import require_shared
from tests.e2e.api.conftest import Node

PROBLEM = "application/problem+json"


def test_screen_one_party_and_a_batch(node: Node) -> None:
    from supplyguard.adapters.lists_store import ListStore

    store = ListStore(node.container.settings.lists_dir)  # type: ignore[attr-defined]
    assert (
        node.client.post(
            "/v1/screening/party", json={"name": "x"}, headers=node.headers("officer_a")
        ).status_code
        == 422
    )
    store.install(require_shared("screening", "ofac", "sdn-2021-07"), None, node.container.clock.now())  # type: ignore[attr-defined]

    one = node.client.post(
        "/v1/screening/party", json={"name": "Bank Melli Iarn"}, headers=node.headers("officer_a")
    )
    assert one.status_code == 200, one.text
    hit = one.json()["hits"][0]
    assert hit["list"] == "ofac-sdn" and hit["entity_name"] == "BANK MELLI IRAN" and "iran" in hit["why"]

    batch = node.client.post(
        "/v1/screening/batch",
        json={
            "parties": [
                {"name": "BANCO NACIONAL DE CUBA", "country": "CU"},
                {"name": "   "},
                {"name": "Golden Harbor Trading B.V."},
            ]
        },
        headers=node.headers("officer_a"),
    )
    assert batch.status_code == 200
    rows = batch.json()
    assert [row["row"] for row in rows] == [1, 2, 3]
    assert rows[0]["hits"] and "error" in rows[1] and rows[2]["hits"] == []
    too_long = node.client.post(
        "/v1/screening/party", json={"name": "a" * 10_001}, headers=node.headers("officer_a")
    )
    assert too_long.status_code == 422 and too_long.headers["content-type"].startswith(PROBLEM)
    assert (
        node.client.post(
            "/v1/screening/party", json={"name": "x"}, headers=node.headers("partner_a")
        ).status_code
        == 403
    )


def test_intake_screens_named_parties_and_the_declaration_shows_the_hits(node: Node) -> None:
    from supplyguard.adapters.lists_store import ListStore
    from tests.factories import declaration_data

    store = ListStore(node.container.settings.lists_dir)  # type: ignore[attr-defined]
    clean = node.client.post(
        "/v1/declarations", json=declaration_data("BEFORE-LISTS"), headers=node.headers("officer_a")
    )
    assert clean.status_code == 201
    store.install(require_shared("screening", "ofac", "sdn-2021-07"), None, node.container.clock.now())  # type: ignore[attr-defined]
    data = declaration_data("SANCTIONED", seller={"code": "S-77", "name": "Bank Melli Iarn", "country": "IR"})
    created = node.client.post("/v1/declarations", json=data, headers=node.headers("officer_a"))
    assert created.status_code == 201, created.text
    shown = node.client.get(
        f"/v1/declarations/{created.json()['id']}", headers=node.headers("officer_a")
    ).json()
    hits = shown["screening_hits"]
    assert hits and hits[0]["role"] == "seller" and hits[0]["party"] == "S-77"
    assert hits[0]["entity_name"] == "BANK MELLI IRAN" and hits[0]["status"] == "open" and hits[0]["why"]
    before = node.client.get(
        f"/v1/declarations/{clean.json()['id']}", headers=node.headers("officer_a")
    ).json()
    assert all(hit["party"] != "S-77" for hit in before["screening_hits"])


def test_a_false_positive_is_remembered_for_the_party_until_its_name_changes(node: Node) -> None:
    from supplyguard.adapters.lists_store import ListStore
    from tests.factories import declaration_data

    store = ListStore(node.container.settings.lists_dir)  # type: ignore[attr-defined]
    store.install(require_shared("screening", "ofac", "sdn-2021-07"), None, node.container.clock.now())  # type: ignore[attr-defined]
    seller = {"code": "S-78", "name": "Melli Bank", "country": "GB"}
    first = node.client.post(
        "/v1/declarations", json=declaration_data("FP-1", seller=seller), headers=node.headers("officer_a")
    ).json()
    hits = node.client.get(f"/v1/declarations/{first['id']}", headers=node.headers("officer_a")).json()[
        "screening_hits"
    ]
    assert hits
    hit_id = hits[0]["id"]
    assert (
        node.client.post(
            f"/v1/screening/hits/{hit_id}/false-positive", json={}, headers=node.headers("officer_b")
        ).status_code
        == 404
    )
    marked = node.client.post(
        f"/v1/screening/hits/{hit_id}/false-positive",
        json={"reason": "UK retailer"},
        headers=node.headers("officer_a"),
    )
    assert marked.status_code == 200 and marked.json()["status"] == "false_positive"

    again = node.client.post(
        "/v1/declarations", json=declaration_data("FP-2", seller=seller), headers=node.headers("officer_a")
    ).json()
    shown = node.client.get(f"/v1/declarations/{again['id']}", headers=node.headers("officer_a")).json()
    same = [h for h in shown["screening_hits"] if h["entity_id"] == hits[0]["entity_id"]]
    assert same and same[0]["status"] == "false_positive"

    renamed = {**seller, "name": "Melli Bank PLC"}
    third = node.client.post(
        "/v1/declarations", json=declaration_data("FP-3", seller=renamed), headers=node.headers("officer_a")
    ).json()
    shown = node.client.get(f"/v1/declarations/{third['id']}", headers=node.headers("officer_a")).json()
    assert all(h["status"] == "open" for h in shown["screening_hits"])
    log = node.client.get(f"/v1/audit?target_id={hit_id}", headers=node.headers("auditor_a")).json()
    assert [entry["action"] for entry in log] == ["screening.false_positive"]


def test_bulk_import_screens_named_parties(node: Node) -> None:
    import json

    from supplyguard.adapters.lists_store import ListStore
    from tests.factories import declaration_data

    store = ListStore(node.container.settings.lists_dir)  # type: ignore[attr-defined]
    store.install(require_shared("screening", "ofac", "sdn-2021-07"), None, node.container.clock.now())  # type: ignore[attr-defined]
    lines = [
        json.dumps(declaration_data("BULK-1", seller={"code": "S-90", "name": "BANCO NACIONAL DE CUBA"})),
        json.dumps(declaration_data("BULK-2")),
    ]
    response = node.client.post(
        "/v1/declarations/import",
        content="\n".join(lines).encode(),
        headers=node.headers("officer_a", **{"content-type": "application/x-ndjson"}),
    )
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 2 and response.json()["screening_hits"] >= 1
    listed = node.client.get("/v1/declarations", headers=node.headers("officer_a")).json()["items"]
    bulk_1 = next(item for item in listed if item["reference"] == "BULK-1")
    shown = node.client.get(f"/v1/declarations/{bulk_1['id']}", headers=node.headers("officer_a")).json()
    assert any(hit["party"] == "S-90" and hit["list"] == "ofac-sdn" for hit in shown["screening_hits"])


def test_rescreen_finds_parties_declared_before_the_list_was_installed(node: Node) -> None:
    from supplyguard.adapters.lists_store import ListStore
    from tests.factories import declaration_data

    seller = {"code": "S-80", "name": "Bank Melli Iarn", "country": "IR"}
    early = node.client.post(
        "/v1/declarations", json=declaration_data("EARLY", seller=seller), headers=node.headers("officer_a")
    )
    assert early.status_code == 201
    no_lists = node.client.post("/v1/screening/rescreen", headers=node.headers("officer_a"))
    assert no_lists.status_code == 422 and "no sanctions list" in no_lists.text
    store = ListStore(node.container.settings.lists_dir)  # type: ignore[attr-defined]
    store.install(require_shared("screening", "ofac", "sdn-2021-07"), None, node.container.clock.now())  # type: ignore[attr-defined]
    denied = node.client.post("/v1/screening/rescreen", headers=node.headers("partner_a"))
    assert denied.status_code == 403
    done = node.client.post("/v1/screening/rescreen", headers=node.headers("officer_a"))
    assert done.status_code == 200, done.text
    body = done.json()
    assert any(h["party"] == "S-80" and h["entity_name"] == "BANK MELLI IRAN" for h in body["added"])
    shown = node.client.get(
        f"/v1/declarations/{early.json()['id']}", headers=node.headers("officer_a")
    ).json()
    assert any(h["party"] == "S-80" for h in shown["screening_hits"])
    runs = node.client.get("/v1/screening/runs", headers=node.headers("officer_a")).json()
    assert runs[0]["id"] == body["run_id"] and runs[0]["trigger"] == "api"
    assert runs[0]["lists"]["ofac-sdn"]["sha256"]
    detail = node.client.get(f"/v1/screening/runs/{body['run_id']}", headers=node.headers("officer_a")).json()
    assert {c["change"] for c in detail["changes"]} == {"added"}
    other = node.client.get(f"/v1/screening/runs/{body['run_id']}", headers=node.headers("officer_b"))
    assert other.status_code == 404
