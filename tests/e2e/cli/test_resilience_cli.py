"""`supplyguard resilience analyse FILE --json` on the golden network, and `resilience routes`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, require_shared
from tests.e2e.cli.test_cli import node_env, run

__all__ = ["node_env"]  # the fixture, shared with test_cli


def test_golden_network_gives_the_published_figures(tmp_path: Path) -> None:
    result = run(
        {"SUPPLYGUARD_DATA_DIR": str(tmp_path)},
        "resilience",
        "analyse",
        str(REPO / "examples" / "resilience" / "golden-ttr.yaml"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    by_site = {tuple(item["disrupted"]): item for item in json.loads(result.stdout)}
    s1, s2, s3 = by_site[("S1",)], by_site[("S2",)], by_site[("S3",)]
    assert s1["loss"] == 0 and s1["tts"] == pytest.approx(2.25) and s1["exposed"] is False
    assert s2["loss"] == pytest.approx(125_000) and s2["lost_units"] == {"P1": pytest.approx(25)}
    assert s2["rei"] == pytest.approx(0.455, abs=5e-4) and s2["tts"] == pytest.approx(1.286, abs=5e-4)
    assert s3["loss"] == pytest.approx(275_000) and s3["lost_units"] == {"P1": pytest.approx(55)}
    assert s3["rei"] == pytest.approx(1.0) and s3["tts"] == pytest.approx(0.9) and s3["exposed"] is True
    assert all(item["ttr"] == 2 for item in (s1, s2, s3))


def test_routes_around_a_closed_suez(tmp_path: Path) -> None:
    result = run(
        {"SUPPLYGUARD_DATA_DIR": str(tmp_path)},
        "resilience",
        "routes",
        "CNSHA",
        "NLRTM",
        "--close",
        "suez",
        "--alternatives",
        "2",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["routes"] and "suez" not in [p.lower() for p in data["routes"][0]["passages"]]
    assert data["closures"][0]["added_km"] > 2000 and data["closures"][0]["added_days"] > 3
    bad = run({"SUPPLYGUARD_DATA_DIR": str(tmp_path)}, "resilience", "routes", "XXNOPE", "NLRTM")
    assert bad.returncode == 4 and "unknown port" in bad.stderr


def test_a_broken_network_file_names_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "net.yaml"
    broken.write_text("sites:\n  - {id: A, kind: supplier, capacity: -5}\n")
    result = run({"SUPPLYGUARD_DATA_DIR": str(tmp_path)}, "resilience", "analyse", str(broken), "--json")
    assert result.returncode == 4 and "Traceback" not in result.stderr
    assert "capacity" in result.stderr
    binary = tmp_path / "net.png.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    for command in ("analyse", "simulate", "stockpile"):
        failed = run({"SUPPLYGUARD_DATA_DIR": str(tmp_path)}, "resilience", command, str(binary))
        assert failed.returncode == 4 and "not UTF-8 text" in failed.stderr, (command, failed.stderr)
    horizon = run(
        {"SUPPLYGUARD_DATA_DIR": str(tmp_path)},
        "resilience",
        "simulate",
        str(REPO / "examples" / "resilience" / "golden-ttr.yaml"),
        "--horizon",
        "-1",
    )
    assert horizon.returncode == 4 and "horizon" in horizon.stderr and "simulating" not in horizon.stderr


def test_simulate_is_seeded_and_shows_progress_and_unmet_demand(tmp_path: Path) -> None:
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path)}
    network = str(REPO / "examples" / "resilience" / "medical-supplies.yaml")
    risks = str(REPO / "examples" / "resilience" / "medical-risks.yaml")
    args = ("resilience", "simulate", network, "--runs", "300", "--seed", "5", "--risks", risks, "--json")
    first, second = run(env, *args), run(env, *args)
    assert first.returncode == 0, first.stderr
    assert "simulating" in first.stderr and "300/300" in first.stderr
    assert json.loads(first.stdout) == json.loads(second.stdout)
    summary = json.loads(first.stdout)
    assert summary["samples"] == 300 and summary["risks"] == "given"
    assert set(summary["unmet"]) == {"MASK", "GLOVE", "IVSET", "VENT"}
    assert summary["loss"]["p99"] >= summary["loss"]["p50"] >= 0
    text = run(env, "resilience", "simulate", network, "--runs", "50")
    assert text.returncode == 0 and "unmet demand" in text.stdout and "P(loss)" in text.stdout
    bad = tmp_path / "risks.yaml"
    bad.write_text("NOPE: {probability: 2}\n")
    failed = run(env, "resilience", "simulate", network, "--risks", str(bad))
    assert failed.returncode == 4 and "unknown site or asset 'NOPE'" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_stockpile_plan_for_the_golden_network(tmp_path: Path) -> None:
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path)}
    golden = str(REPO / "examples" / "resilience" / "golden-ttr.yaml")
    result = run(env, "resilience", "stockpile", golden, "--scenarios", "site:S3", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["scenarios"] == ["site:S3"] and plan["uncovered"] == {}
    assert sum(row["units"] for row in plan["additions"]) == pytest.approx(55)
    assert "P1" in plan["service_levels"]
    text = run(env, "resilience", "stockpile", golden, "--scenarios", "S2,S3")
    assert text.returncode == 0 and "service levels" in text.stdout and "MKT" in text.stdout
    missing = run(env, "resilience", "stockpile", str(tmp_path / "none.yaml"))
    assert missing.returncode == 4 and "not a readable file" in missing.stderr
    unknown = run(env, "resilience", "stockpile", golden, "--scenarios", "S9")
    assert unknown.returncode == 4 and "unknown scenario 'S9'" in unknown.stderr


def test_report_as_html_and_pdf(tmp_path: Path) -> None:
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path)}
    network = str(REPO / "examples" / "resilience" / "medical-supplies.yaml")
    html = run(env, "resilience", "report", network, "--out", str(tmp_path / "r.html"), "--runs", "100")
    assert html.returncode == 0, html.stderr
    text = (tmp_path / "r.html").read_text()
    assert "Exposure ranking" in text and "Suez closure" in text and "<script" not in text
    pdf = run(env, "resilience", "report", network, "--out", str(tmp_path / "r.pdf"), "--runs", "100")
    assert pdf.returncode == 0 and (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    bad = run(env, "resilience", "report", network, "--out", str(tmp_path / "r.docx"))
    assert bad.returncode == 4 and "must end in .html or .pdf" in bad.stderr
    assert not (tmp_path / "r.docx").exists()


def test_store_and_list_networks_on_the_node(node_env: dict[str, str]) -> None:
    assert run(node_env, "org", "create", "Customs A", "--country", "NL").returncode == 0
    golden = str(REPO / "examples" / "resilience" / "golden-ttr.yaml")
    first = run(node_env, "resilience", "store", golden)
    assert first.returncode == 0, first.stderr
    assert "golden-ttr version 1 stored" in first.stdout
    again = run(node_env, "resilience", "store", golden)
    assert "golden-ttr version 1 already stored" in again.stdout
    medical = REPO / "examples" / "resilience"
    stored = run(
        node_env,
        "resilience",
        "store",
        str(medical / "medical-supplies.yaml"),
        "--risks",
        str(medical / "medical-risks.yaml"),
    )
    assert stored.returncode == 0, stored.stderr
    listed = run(node_env, "resilience", "networks")
    assert (
        listed.returncode == 0 and "golden-ttr v1" in listed.stdout and "medical-supplies v1" in listed.stdout
    )
    bad_risks = run(node_env, "resilience", "store", golden, "--risks", str(medical / "medical-risks.yaml"))
    assert bad_risks.returncode == 4 and "unknown site or asset" in bad_risks.stderr


def test_road_route_on_a_freeway_graph(tmp_path: Path) -> None:
    graph = require_shared("refdata", "networks", "us_freeway.graphjson")
    env = {"SUPPLYGUARD_DATA_DIR": str(tmp_path)}
    # Chicago to St. Louis: about 480 km by interstate
    result = run(env, "resilience", "road-route", str(graph), "41.88,-87.63", "38.63,-90.20", "--speed", "80")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert 400 < data["route"]["distance_km"] < 650
    assert data["route"]["days"] == pytest.approx(data["route"]["distance_km"] / 80 / 24, rel=0.01)
    assert max(data["snap_km"]) < 25
    bad = run(env, "resilience", "road-route", str(graph), "north", "38.63,-90.20")
    assert bad.returncode == 4 and "lat,lon" in bad.stderr and "Traceback" not in bad.stderr
    not_graph = tmp_path / "x.json"
    not_graph.write_text("{}")
    wrong = run(env, "resilience", "road-route", str(not_graph), "41.88,-87.63", "38.63,-90.20")
    assert wrong.returncode == 4 and "GeoGraph" in wrong.stderr
