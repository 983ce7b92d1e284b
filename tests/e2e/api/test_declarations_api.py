"""The REST API end to end, on both backends: creation, errors, scoping, idempotency, paging."""

from __future__ import annotations

import json

from tests.e2e.api.conftest import Node
from tests.factories import declaration_data
from tests.openapi_doc import assert_as_declared

PROBLEM = "application/problem+json"


def create(node: Node, who: str = "officer_a", reference: str = "REF-1", **extra: object) -> dict:  # type: ignore[type-arg]
    response = node.client.post(
        "/v1/declarations", json=declaration_data(reference, **extra), headers=node.headers(who)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_create_then_read_a_declaration(node: Node) -> None:
    created = create(node)
    assert created["items"][0]["duty"] == 99.9
    got = node.client.get(f"/v1/declarations/{created['id']}", headers=node.headers("officer_a"))
    assert got.status_code == 200
    assert got.json()["reference"] == "REF-1" and got.json()["importer"]["code"] == "IMP1"


def test_openapi_is_published(node: Node) -> None:
    spec = node.client.get("/v1/openapi.json").json()
    assert "/v1/declarations" in spec["paths"] and "/v1/declarations/import" in spec["paths"]


def test_bad_input_gets_problem_json_with_locations(node: Node) -> None:
    bad = declaration_data(items=[{"hs_code": "123", "origin_country": "NL", "net_mass_kg": 1, "value": 1}])
    response = node.client.post("/v1/declarations", json=bad, headers=node.headers("officer_a"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 422 and body["errors"][0]["loc"] == ["items", 0, "hs_code"]
    wrong_type = node.client.post(
        "/v1/declarations",
        content=b"[1,2",
        headers=node.headers("officer_a", **{"content-type": "application/json"}),
    )
    assert wrong_type.status_code == 422 and wrong_type.headers["content-type"].startswith(PROBLEM)
    unknown_field = node.client.post(
        "/v1/declarations", json={**declaration_data("X"), "colour": "red"}, headers=node.headers("officer_a")
    )
    assert unknown_field.status_code == 422 and "colour" in unknown_field.text


def test_auth_errors(node: Node) -> None:
    assert node.client.get("/v1/declarations").status_code == 401
    bad = node.client.get("/v1/declarations", headers={"Authorization": "Bearer sg_nope"})
    assert bad.status_code == 401 and bad.headers["content-type"].startswith(PROBLEM)
    forbidden = node.client.get("/v1/declarations", headers=node.headers("partner_a"))
    assert forbidden.status_code == 403
    audit_as_officer = node.client.get("/v1/audit", headers=node.headers("officer_a"))
    assert audit_as_officer.status_code == 403


def test_duplicate_reference_is_a_conflict(node: Node) -> None:
    create(node)
    again = node.client.post(
        "/v1/declarations", json=declaration_data("REF-1"), headers=node.headers("officer_a")
    )
    assert again.status_code == 409


def test_idempotency_key_replays_and_refuses_a_different_body(node: Node) -> None:
    headers = node.headers("officer_a", **{"Idempotency-Key": "k-1"})
    first = node.client.post("/v1/declarations", json=declaration_data("IDEM"), headers=headers)
    second = node.client.post("/v1/declarations", json=declaration_data("IDEM"), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    spec = node.client.get("/v1/openapi.json").json()
    for answer in (first, second):  # a replay is the declared 201 again
        assert_as_declared(spec, "/v1/declarations", "post", answer)
    other = node.client.post("/v1/declarations", json=declaration_data("OTHER"), headers=headers)
    assert other.status_code == 409


def test_oversized_body_is_413(node: Node) -> None:
    limit = node.container.settings.max_body_bytes  # type: ignore[attr-defined]
    response = node.client.post(
        "/v1/declarations/import?format=ndjson", content=b"x" * (limit + 1), headers=node.headers("officer_a")
    )
    assert response.status_code == 413 and response.headers["content-type"].startswith(PROBLEM)


def test_organisation_b_gets_404_for_everything_of_organisation_a(node: Node) -> None:
    created = create(node)
    declaration_id = created["id"]
    b = node.headers("officer_b")
    assert node.client.get(f"/v1/declarations/{declaration_id}", headers=b).status_code == 404
    outcome = node.client.post(
        f"/v1/declarations/{declaration_id}/outcome", json={"inspected": False}, headers=b
    )
    assert outcome.status_code == 404
    assert node.client.get("/v1/declarations", headers=b).json()["items"] == []
    parties_a = node.client.get("/v1/parties", headers=node.headers("officer_a")).json()
    assert parties_a and node.client.get("/v1/parties", headers=b).json() == []
    assert node.client.get(f"/v1/parties/{parties_a[0]['id']}", headers=b).status_code == 404
    # the same reference is free in organisation B
    assert node.client.post("/v1/declarations", json=declaration_data("REF-1"), headers=b).status_code == 201


def test_outcome_is_recorded_once_and_validated(node: Node) -> None:
    declaration_id = create(node)["id"]
    path = f"/v1/declarations/{declaration_id}/outcome"
    bad = node.client.post(path, json={"inspected": True}, headers=node.headers("officer_a"))
    assert bad.status_code == 422 and "required when" in bad.text
    analyst = node.client.post(
        path, json={"inspected": True, "result": "fraud"}, headers=node.headers("analyst_a")
    )
    assert analyst.status_code == 403
    ok = node.client.post(
        path,
        json={"inspected": True, "result": "fraud", "duty_recovered": 50},
        headers=node.headers("officer_a"),
    )
    assert ok.status_code == 201 and ok.json()["result"] == "fraud"
    twice = node.client.post(path, json={"inspected": False}, headers=node.headers("officer_a"))
    assert twice.status_code == 409
    shown = node.client.get(f"/v1/declarations/{declaration_id}", headers=node.headers("officer_a")).json()
    assert shown["outcome"]["result"] == "fraud"


def test_list_filters_and_cursor_pages_cover_everything_once(node: Node) -> None:
    for n in range(7):
        create(node, reference=f"P{n}", office_id="20" if n % 2 else "40")
    seen: list[str] = []
    url = "/v1/declarations?limit=3&sort=-date"
    while url:
        page = node.client.get(url, headers=node.headers("officer_a")).json()
        seen.extend(item["reference"] for item in page["items"])
        url = (
            f"/v1/declarations?limit=3&sort=-date&cursor={page['next_cursor']}" if page["next_cursor"] else ""
        )
    assert sorted(seen) == sorted(f"P{n}" for n in range(7))
    office_20 = node.client.get("/v1/declarations?office_id=20", headers=node.headers("officer_a")).json()[
        "items"
    ]
    assert {item["reference"] for item in office_20} == {"P1", "P3", "P5"}
    by_hs = node.client.get("/v1/declarations?hs_code=420231", headers=node.headers("officer_a")).json()[
        "items"
    ]
    assert len(by_hs) == 7
    assert (
        node.client.get("/v1/declarations?hs_code=999", headers=node.headers("officer_a")).status_code == 422
    )
    damaged = node.client.get("/v1/declarations?cursor=garbage", headers=node.headers("officer_a"))
    assert damaged.status_code == 422


def test_bulk_import_endpoint_reports_rows(node: Node) -> None:
    lines = [
        json.dumps(declaration_data("B1")),
        json.dumps(declaration_data("B2", containers=["CSQU3054384"])),
    ]
    response = node.client.post(
        "/v1/declarations/import",
        content="\n".join(lines).encode(),
        headers=node.headers("officer_a", **{"content-type": "application/x-ndjson"}),
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["stored"] == 1 and report["rejected"] == 1
    assert report["errors"][0]["row"] == 2 and "check digit" in json.dumps(report["errors"][0])


def test_reads_are_in_the_audit_log_for_auditors(node: Node) -> None:
    declaration_id = create(node)["id"]
    node.client.get(f"/v1/declarations/{declaration_id}", headers=node.headers("officer_a"))
    entries = node.client.get(
        f"/v1/audit?target_id={declaration_id}", headers=node.headers("auditor_a")
    ).json()
    actions = [(e["action"], e["actor"]) for e in entries]
    assert ("declaration.read", "officer_a") in actions and ("declaration.create", "officer_a") in actions
    assert all(e["source"] for e in entries)


def test_health_and_unknown_routes(node: Node) -> None:
    health = node.client.get("/v1/health").json()
    assert health["status"] == "ok" and health["node"] == "test.node"
    missing = node.client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(PROBLEM)


def test_ledger_endpoints_serve_verifiable_proofs(node: Node) -> None:
    from supplyguard.ledger import verify_consistency_bundle, verify_inclusion_bundle

    first = create(node, reference="L1")
    for n in range(3):
        create(node, reference=f"L{n + 2}")
    headers = node.headers("auditor_a")
    note = node.client.get("/v1/ledger/checkpoint", headers=headers)
    assert note.status_code == 200 and note.text.startswith("test.node\n")
    size = int(note.text.splitlines()[1])
    key = node.container.signer.vkey  # type: ignore[attr-defined]
    bundle = node.client.get(f"/v1/ledger/proof/inclusion?record_id={first['id']}", headers=headers).json()
    assert verify_inclusion_bundle(bundle, key).envelope.id == first["id"]  # type: ignore[union-attr]
    consistency = node.client.get(
        f"/v1/ledger/proof/consistency?first=2&second={size}", headers=headers
    ).json()
    assert verify_consistency_bundle(consistency, key).second == size
    leaves = node.client.get("/v1/ledger/leaves?start=0&end=2", headers=headers).json()
    assert [leaf["index"] for leaf in leaves] == [0, 1]
    assert "body_sha256" in leaves[0]["envelope"]
    beyond = node.client.get(f"/v1/ledger/proof/consistency?first=2&second={size + 50}", headers=headers)
    assert beyond.status_code == 422 and beyond.headers["content-type"].startswith(PROBLEM)
    bad_index = node.client.get(f"/v1/ledger/proof/inclusion?index={size + 5}", headers=headers)
    assert bad_index.status_code == 422
    assert node.client.get("/v1/ledger/leaves?start=5&end=2", headers=headers).status_code == 422


def test_parties_can_be_created_and_updated_with_validation(node: Node) -> None:
    body = {
        "code": "NL123",
        "name": "Golden  Harbor Trading B.V.",
        "country": "nl",
        "aliases": ["GHT"],
        "identifiers": [{"scheme": "eori", "value": "NL123456789"}],
        "address": "Kade 1, Rotterdam",
    }
    created = node.client.put("/v1/parties", json=body, headers=node.headers("analyst_a"))
    assert created.status_code == 200, created.text
    assert created.json()["name"] == "Golden Harbor Trading B.V." and created.json()["country"] == "NL"
    updated = node.client.put(
        "/v1/parties", json={**body, "name": "Golden Harbour Trading B.V."}, headers=node.headers("analyst_a")
    )
    assert (
        updated.json()["id"] == created.json()["id"]
        and updated.json()["name"] == "Golden Harbour Trading B.V."
    )
    bad = node.client.put(
        "/v1/parties",
        json={**body, "country": "XQ", "identifiers": [{"scheme": "x", "value": "1"}]},
        headers=node.headers("analyst_a"),
    )
    assert bad.status_code == 422 and {tuple(e["loc"]) for e in bad.json()["errors"]} == {
        ("country",),
        ("identifiers", 0, "scheme"),
    }
    assert node.client.put("/v1/parties", json=body, headers=node.headers("officer_a")).status_code == 403
