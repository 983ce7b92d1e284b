"""The forwardable report: self-contained HTML with drawn SVG, and a PDF; names are escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from supplyguard.resilience import parse_network
from supplyguard.services import resilience_report, resilience_views
from supplyguard.services.resilience_svg import exceedance_svg, histogram_svg, network_svg
from tests.unit.resilience.conftest import small_network

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def _located():  # type: ignore[no-untyped-def]
    return parse_network(
        {
            "name": "located <b>net</b>",
            "products": [{"id": "P", "margin": 10, "holding_cost": 1, "demand_sd": 2}],
            "sites": [
                {
                    "id": "A",
                    "kind": "supplier",
                    "name": "<script>alert(1)</script>",
                    "capacity": 5,
                    "makes": ["P"],
                    "lat": 50.0,
                    "lon": 4.0,
                },
                {"id": "M", "kind": "demand", "demand": {"P": 4}, "lat": 52.0, "lon": 5.0},
            ],
            "lanes": [{"id": "A-M", "from": "A", "to": "M"}],
        }
    )


def test_network_svg_draws_sites_and_lanes_and_escapes_names() -> None:
    svg = network_svg(resilience_views.map_data(_located()))
    assert svg.startswith("<svg") and svg.count('class="site"') == 2 and 'class="lane"' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "No site has coordinates" in network_svg(resilience_views.map_data(small_network()))


def test_histogram_svg_has_one_bar_per_bin() -> None:
    bins = [{"low": i * 10.0, "high": (i + 1) * 10.0, "count": c} for i, c in enumerate([5, 0, 2])]
    svg = histogram_svg(bins)
    assert svg.count('class="bar"') == 3 and "loss 0 to 10: 5 samples" in svg
    curve = exceedance_svg(bins)
    assert curve.count('class="step"') == 3 and 'class="loss-exceedance"' in curve
    # 7 samples: P(loss > 10) = 2/7, P(> 20) = 2/7, P(> 30) = 0: two equal steps, then the floor
    ys = [float(part.split('cy="')[1].split('"')[0]) for part in curve.split('class="step"')[1:]]
    assert ys[0] == ys[1] < ys[2] and "exceeds" in curve


def test_report_html_is_self_contained_and_the_pdf_renders() -> None:
    report = resilience_views.report_of_network(_located(), None, runs=50, seed=1, now=NOW)
    assert report["reroute"]["lanes"] == [] and report["headline"]["scenarios"] == len(report["ranking"])
    html = resilience_report.render_html(report)
    assert html.startswith("<!doctype html>") and "@media print" in html
    assert "<script" not in html and "&lt;b&gt;net&lt;/b&gt;" in html
    assert (
        "Exposure ranking" in html and "site:A" in html and "No sea lane of this network crosses suez" in html
    )
    pdf = resilience_report.render_pdf(report)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert resilience_report.render_pdf(report) == pdf  # invariant: the same report gives the same bytes


def test_land_rings_decode_topojson_and_keep_rings_across_the_antimeridian(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from supplyguard.services.resilience_svg import land_rings

    topo = {
        "type": "Topology",
        "transform": {"scale": [1.0, 1.0], "translate": [-180, -90]},
        "objects": {
            "land": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0]]},
                    {"type": "MultiPolygon", "arcs": [[[1]]]},
                ],
            }
        },
        "arcs": [
            [[184, 140], [2, 0], [0, 2], [-2, 0], [0, -2]],  # a square at 4..6 E, 50..52 N
            [[355, 150], [4, 0], [-358, 0], [0, 5], [358, 0], [-4, 0], [0, -5]],  # 175 E to 179 W
        ],
    }
    path = tmp_path / "land.json"
    path.write_text(json.dumps(topo))
    square, island = land_rings(str(path))
    assert square[0] == (4.0, 50.0) and (6.0, 52.0) in square
    assert max(lon for lon, _ in island) - min(lon for lon, _ in island) == 6  # no jump across the map
    assert land_rings(str(tmp_path / "missing.json")) == ()
    svg = network_svg(resilience_views.map_data(_located()), land=[square])
    assert 'class="land"' in svg
