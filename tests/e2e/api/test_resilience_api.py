"""/v1/resilience: upload networks (YAML, JSON with CSV tables), analyse, simulate, stockpile,
reroute, routes, and a drill run through the API; problem+json on bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO
from tests.e2e.api.conftest import Node
from tests.openapi_doc import assert_as_declared

PROBLEM = "application/problem+json"
EXAMPLES = REPO / "examples" / "resilience"
GOLDEN = (EXAMPLES / "golden-ttr.yaml").read_text()
YAML = {"Content-Type": "application/yaml"}


def _upload(node: Node, who: str, body: str, **headers: str):  # type: ignore[no-untyped-def]
    return node.client.post(
        "/v1/resilience/networks", content=body, headers=node.headers(who, **(headers or YAML))
    )


def test_upload_list_get_and_analyse_the_golden_network(node: Node) -> None:
    created = _upload(node, "analyst_a", GOLDEN)
    assert created.status_code == 201, created.text
    network = created.json()
    assert network["name"] == "golden-ttr" and network["version"] == 1 and network["created"] is True
    again = _upload(node, "analyst_a", GOLDEN)
    assert again.status_code == 200 and again.json()["id"] == network["id"]
    spec = node.client.get("/v1/openapi.json").json()
    for answer in (created, again):
        assert_as_declared(spec, "/v1/resilience/networks", "post", answer)
    listed = node.client.get("/v1/resilience/networks", headers=node.headers("officer_a")).json()
    assert [n["id"] for n in listed] == [network["id"]]
    assert node.client.get("/v1/resilience/networks", headers=node.headers("officer_b")).json() == []
    other = node.client.get(f"/v1/resilience/networks/{network['id']}", headers=node.headers("officer_b"))
    assert other.status_code == 404 and other.headers["content-type"].startswith(PROBLEM)
    full = node.client.get(f"/v1/resilience/networks/{network['id']}", headers=node.headers("officer_a"))
    assert full.json()["document"]["name"] == "golden-ttr"

    rows = node.client.get(
        f"/v1/resilience/networks/{network['id']}/analysis", headers=node.headers("officer_a")
    ).json()
    by_site = {tuple(r["disrupted"]): r for r in rows}
    assert by_site[("S3",)]["loss"] == pytest.approx(275_000) and by_site[("S3",)]["tts"] == pytest.approx(
        0.9
    )
    assert by_site[("S2",)]["rei"] == pytest.approx(0.455, abs=5e-4) and by_site[("S2",)]["reasons"]

    sim = node.client.get(
        f"/v1/resilience/networks/{network['id']}/simulation",
        params={"runs": 150, "seed": 4},
        headers=node.headers("analyst_a"),
    )
    assert (
        sim.status_code == 200 and sim.json()["samples"] == 150 and set(sim.json()["unmet"]) == {"P1", "P2"}
    )
    bad_runs = node.client.get(
        f"/v1/resilience/networks/{network['id']}/simulation",
        params={"runs": 0},
        headers=node.headers("analyst_a"),
    )
    assert bad_runs.status_code == 422 and bad_runs.headers["content-type"].startswith(PROBLEM)

    plan = node.client.get(
        f"/v1/resilience/networks/{network['id']}/stockpile",
        params={"scenario": ["S3"], "lead_periods": 2},
        headers=node.headers("analyst_a"),
    ).json()
    assert plan["scenarios"] == ["site:S3"] and sum(a["units"] for a in plan["additions"]) == pytest.approx(
        55
    )
    unknown = node.client.get(
        f"/v1/resilience/networks/{network['id']}/stockpile",
        params={"scenario": "S9"},
        headers=node.headers("analyst_a"),
    )
    assert unknown.status_code == 422 and "unknown scenario" in unknown.json()["detail"]


def test_bad_uploads_get_problem_details_and_store_nothing(node: Node) -> None:
    broken = _upload(node, "analyst_a", "sites:\n  - {id: A, kind: supplier, capacity: -5}\n")
    assert broken.status_code == 422 and broken.headers["content-type"].startswith(PROBLEM)
    assert any("capacity" in str(e["loc"]) for e in broken.json()["errors"])
    assert _upload(node, "analyst_a", "sites: [\n").status_code == 422
    assert _upload(node, "analyst_a", "- a list\n").status_code == 422
    wrong_type = _upload(node, "analyst_a", GOLDEN, **{"Content-Type": "image/png"})
    assert wrong_type.status_code == 422 and "content-type" in wrong_type.text
    bad_json = _upload(node, "analyst_a", "{", **{"Content-Type": "application/json"})
    assert bad_json.status_code == 422
    extra = _upload(
        node, "analyst_a", json.dumps({"network": GOLDEN, "x": 1}), **{"Content-Type": "application/json"}
    )
    assert extra.status_code == 422
    assert _upload(node, "officer_a", GOLDEN).status_code == 403
    assert _upload(node, "partner_a", GOLDEN).status_code == 403
    assert node.client.get("/v1/resilience/networks", headers=node.headers("analyst_a")).json() == []


def test_json_upload_with_csv_tables_and_risks(node: Node) -> None:
    body = {
        "network": {"name": "csv-net", "products": [{"id": "P", "margin": 10}]},
        "sites_csv": "id,kind,capacity,makes,demand.P\nA,supplier,5,P,\nM,demand,,,4\n",
        "lanes_csv": "id,from,to,mode\nA-M,A,M,road\n",
        "risks": {"A": {"probability": 0.5}},
    }
    created = _upload(node, "analyst_a", json.dumps(body), **{"Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    assert created.json()["summary"]["sites"] == 2 and created.json()["has_risks"] is True
    body["risks"] = {"Z": {"probability": 0.5}}
    bad = _upload(node, "analyst_a", json.dumps(body), **{"Content-Type": "application/json"})
    assert bad.status_code == 422 and "unknown site or asset 'Z'" in bad.text


def test_suez_reroute_and_sea_routes(node: Node) -> None:
    created = _upload(node, "analyst_a", (EXAMPLES / "medical-supplies.yaml").read_text()).json()
    reroute = node.client.get(
        f"/v1/resilience/networks/{created['id']}/reroute", headers=node.headers("officer_a")
    ).json()
    lanes = {row["lane"]: row for row in reroute["lanes"]}
    assert reroute["passage"] == "suez" and lanes["SHA-RTM"]["added_days"] > 3
    assert reroute["impact"]["scenario"] == "passage:suez"
    routes = node.client.get(
        "/v1/resilience/routes",
        params={"from": "CNSHA", "to": "NLRTM", "close": "suez", "alternatives": 2},
        headers=node.headers("officer_a"),
    )
    assert routes.status_code == 200 and routes.json()["closures"][0]["added_km"] > 2000
    bad = node.client.get(
        "/v1/resilience/routes", params={"from": "XXNOPE", "to": "NLRTM"}, headers=node.headers("officer_a")
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    closed = node.client.get(
        "/v1/resilience/routes",
        params={"from": "CNSHA", "to": "NLRTM", "close": "atlantis"},
        headers=node.headers("officer_a"),
    )
    assert closed.status_code == 422


def test_a_drill_through_the_api(node: Node) -> None:
    created = _upload(node, "analyst_a", (EXAMPLES / "medical-supplies.yaml").read_text()).json()
    drill_doc = (EXAMPLES / "drill-rotterdam-blackout.yaml").read_text()
    started = node.client.post(
        f"/v1/resilience/networks/{created['id']}/drills",
        json={"drill": drill_doc},
        headers=node.headers("analyst_a"),
    )
    assert started.status_code == 201, started.text
    drill_id = started.json()["id"]
    assert (
        node.client.post(
            f"/v1/resilience/networks/{created['id']}/drills", json={}, headers=node.headers("analyst_a")
        ).status_code
        == 422
    )
    for _ in range(2):
        node.client.post(f"/v1/resilience/drills/{drill_id}/advance", headers=node.headers("analyst_a"))
    state = node.client.get(f"/v1/resilience/drills/{drill_id}", headers=node.headers("officer_a")).json()
    assert [i["target"] for i in state["injects"]] == ["GRID-NL-W", "GRID-NL-W", "PORT-HAM"]
    decided = node.client.post(
        f"/v1/resilience/drills/{drill_id}/decisions",
        json={"action": "use-alternative", "target": state["options"]["use-alternative"][0]},
        headers=node.headers("officer_a"),
    )
    assert decided.status_code == 201 and decided.json()["user"] == "officer_a"
    wrong = node.client.post(
        f"/v1/resilience/drills/{drill_id}/decisions",
        json={"action": "panic", "target": ""},
        headers=node.headers("officer_a"),
    )
    assert wrong.status_code == 422 and wrong.headers["content-type"].startswith(PROBLEM)
    assert (
        node.client.post(
            f"/v1/resilience/drills/{drill_id}/score", headers=node.headers("officer_a")
        ).status_code
        == 403
    )
    scored = node.client.post(f"/v1/resilience/drills/{drill_id}/score", headers=node.headers("analyst_a"))
    assert scored.status_code == 200 and scored.json()[0]["user"] == "officer_a"
    assert scored.json()[0]["score"] < 100 and scored.json()[0]["missed"]
    again = node.client.post(f"/v1/resilience/drills/{drill_id}/score", headers=node.headers("analyst_a"))
    assert again.status_code == 409
    record = node.client.get("/v1/resilience/training", headers=node.headers("officer_a")).json()
    assert record[0]["drill"] == "Blackout at Rotterdam, strike at Hamburg" and record[0]["reasons"]
    missing = node.client.get(
        "/v1/resilience/drills/0190aaaa-0000-7000-8000-000000000000", headers=node.headers("officer_a")
    )
    assert missing.status_code == 404
