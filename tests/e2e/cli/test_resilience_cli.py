"""`supplyguard resilience analyse FILE --json` on the golden network, and `resilience routes`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.cli.test_cli import run


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
