"""The report a manager can forward: one self-contained HTML page (inline CSS and SVG, print
styles) and the same content as a PDF drawn with ReportLab (BSD licence)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from supplyguard.services.resilience_svg import (
    KIND_COLOURS,
    MapScene,
    exceedance_svg,
    histogram_svg,
    land_rings,
    map_scene,
    network_svg,
)

TEMPLATES = Path(__file__).parent / "templates"
#: Scenarios listed in the ranking of the page and the report (the API gives all of them).
RANKING_ROWS = 50


def render_html(report: dict[str, Any], *, land_file: Path | None = None) -> str:
    """The report document (see :func:`resilience_views.report_document`) as one HTML page;
    ``land_file`` (TopoJSON land) draws the coasts under the network map when it exists."""
    land = land_rings(str(land_file)) if land_file is not None and land_file.is_file() else ()
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]), auto_reload=False
    )
    template = env.get_template("resilience_report.html")
    return template.render(
        r=report,
        top=RANKING_ROWS,
        map_svg=network_svg(report["map"], report["reroute"], land=land),
        histogram_svg=histogram_svg(report["simulation"]["histogram"]),
        exceedance_svg=exceedance_svg(report["simulation"]["histogram"]),
    )


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _key_reasons(reasons: list[str]) -> list[str]:
    """The reasons that say what is lost, what to do and whether it is exposed (not the REI line)."""
    keys = ("over the", "contingency:", "EXPOSED")
    picked = [reason for reason in reasons[:-1] if reason.startswith(keys)]
    return picked or reasons[-2:-1]


def _map_drawing(scene: MapScene, width_pt: float) -> Any:
    """The projected map as a ReportLab drawing ``width_pt`` wide (PDF y runs up)."""
    from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
    from reportlab.lib import colors

    k = width_pt / scene.width
    height_pt = scene.height * k

    def flat(points: list[tuple[float, float]]) -> list[float]:
        return [v for x, y in points for v in (x * k, height_pt - y * k)]

    drawing = Drawing(width_pt, height_pt)
    group = Group()
    group.add(Rect(0, 0, width_pt, height_pt, fillColor=colors.HexColor("#eef4f8"), strokeColor=None))
    for ring in scene.land:
        group.add(
            Polygon(
                flat(ring),
                fillColor=colors.HexColor("#dfe6d8"),
                strokeColor=colors.HexColor("#b9c4b0"),
                strokeWidth=0.3,
            )
        )
    for kind, path in scene.routes:
        group.add(
            PolyLine(
                flat(path),
                strokeColor=colors.HexColor("#9aa5ad" if kind == "base" else "#c0392b"),
                strokeWidth=1.0,
                strokeDashArray=None if kind == "base" else [3, 2],
            )
        )
    for _lane_id, mode, (x1, y1), (x2, y2) in scene.lanes:
        group.add(
            Line(
                x1 * k,
                height_pt - y1 * k,
                x2 * k,
                height_pt - y2 * k,
                strokeColor=colors.HexColor("#4a5a66"),
                strokeWidth=0.6,
                strokeDashArray=None if mode == "sea" else [2, 1.5],
            )
        )
    for site, x, y, labelled in scene.sites:
        px, py = x * k, height_pt - y * k
        colour = colors.HexColor(KIND_COLOURS.get(site["kind"], "#333333"))
        group.add(Circle(px, py, 2.6, fillColor=colour, strokeColor=colors.white, strokeWidth=0.5))
        if labelled:
            group.add(String(px + 4, py - 2, str(site["id"]), fontSize=6))
    drawing.add(group)
    return drawing


def render_pdf(report: dict[str, Any], *, land_file: Path | None = None) -> bytes:
    """The report as a PDF (A4): headline, network map, exposure ranking, loss histogram,
    stockpile plan, service levels and the passage-closure reroutes."""
    land = land_rings(str(land_file)) if land_file is not None and land_file.is_file() else ()
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    body = styles["BodyText"]

    def esc(text: object) -> str:
        return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
        cells = [[Paragraph(esc(c), small) if isinstance(c, str) else c for c in row] for row in rows]
        t = Table(cells, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f5f8")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8d0d6")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                ]
            )
        )
        return t

    r = report
    head = r["headline"]
    net = r["network"]
    facts = (
        f"Generated {r['generated_at']} UTC. {net['sites']} sites, {net['lanes']} lanes, "
        f"{net['products']} products, {net['assets']} infrastructure assets; "
        f"one period = {net['period_days']:g} days."
    )
    if r.get("version"):
        version = r["version"]
        facts += f" Version {version['version']}, content SHA-256 {version['content_sha256'][:16]}..."
    summary = (
        f"{head['exposed']} of {head['scenarios']} scenarios are exposed (time to survive shorter "
        f"than time to recover). Worst disruption: {head['worst']} (loss {_num(head['worst_loss'])}). "
        f"Expected loss per horizon {_num(head['expected_loss'])}, "
        f"95th percentile {_num(head['p95_loss'])}. Emergency stock covering every site outage "
        f"costs {_num(head['stockpile_cost'], 2)} per period."
    )
    story: list[Any] = [
        Paragraph(f"Resilience report: {esc(net['name'])}", styles["Title"]),
        Paragraph(esc(facts), small),
        Spacer(1, 4 * mm),
        Paragraph(esc(summary), body),
    ]
    scene = map_scene(r["map"], r["reroute"], land=land, width=900, height=460)
    if scene is not None:
        story.append(Spacer(1, 3 * mm))
        story.append(_map_drawing(scene, 182 * mm))
        story.append(
            Paragraph(
                esc(f"Sites by kind; red dashed: sea detours when {r['reroute']['passage']} closes."), small
            )
        )
    story.append(Paragraph("Exposure ranking", styles["Heading2"]))
    rows: list[list[Any]] = [["#", "Scenario", "Loss", "REI", "TTS", "TTR", "Exposed", "Why"]]
    for i, row in enumerate(r["ranking"][:RANKING_ROWS], 1):
        rows.append(
            [
                str(i),
                row["scenario"],
                _num(row["loss"]),
                f"{row['rei']:.3f}",
                "unbounded" if row["tts"] is None else f"{row['tts']:.2f}",
                f"{row['ttr']:g}",
                "YES" if row["exposed"] else "no",
                "; ".join(_key_reasons(row["reasons"])),
            ]
        )
    story.append(table(rows, [8 * mm, 36 * mm, 17 * mm, 12 * mm, 15 * mm, 10 * mm, 16 * mm, 68 * mm]))

    sim = r["simulation"]
    loss = sim["loss"]
    story.append(Paragraph("Monte Carlo: distribution of loss", styles["Heading2"]))
    story.append(
        Paragraph(
            esc(
                f"{sim['samples']:,} samples (seed {sim['seed']}, horizon {sim['horizon']:g} periods). "
                f"Mean {_num(loss['mean'])}, p50 {_num(loss['p50'])}, p95 {_num(loss['p95'])}, "
                f"p99 {_num(loss['p99'])}, CVaR95 {_num(loss['cvar95'])}; P(loss) "
                f"{100 * loss['probability_of_loss']:.1f} %."
            ),
            small,
        )
    )
    drawing = Drawing(170 * mm, 55 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 8 * mm, 150 * mm, 42 * mm
    chart.data = [[int(b["count"]) for b in sim["histogram"]] or [0]]
    chart.categoryAxis.categoryNames = [
        _num(b["low"]) if i % 4 == 0 else "" for i, b in enumerate(sim["histogram"])
    ] or [""]
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontSize = 6
    chart.bars[0].fillColor = colors.HexColor("#3b6ea5")
    drawing.add(chart)
    story.append(drawing)
    unmet = [["Product", "Mean unmet", "p95 unmet", "P(short)"]] + [
        [p, _num(u["mean"], 1), _num(u["p95"], 1), f"{100 * u['probability_short']:.1f} %"]
        for p, u in sim["unmet"].items()
    ]
    story.append(table(unmet))

    st = r["stockpile"]
    story.append(Paragraph("Emergency stockpile plan", styles["Heading2"]))
    if st["additions"]:
        adds = [["Site", "Product", "Extra units", "Holding cost per period"]] + [
            [a["site"], a["product"], _num(a["units"]), _num(a["holding_cost_per_period"], 2)]
            for a in st["additions"]
        ]
        adds.append(["Total", "", "", _num(st["holding_cost_per_period"], 2)])
        story.append(table(adds))
    else:
        story.append(Paragraph("No extra stock is needed.", body))
    levels = [["Product", "Choice", "Base stock", "Fill rate", "Cost per period"]]
    for product, options in st["service_levels"].items():
        for o in options:
            if o["service_level"] in (0.9, 0.95, 0.99) or o["label"].startswith("optimal"):
                levels.append(
                    [
                        product,
                        o["label"],
                        _num(o["base_stock"]),
                        f"{100 * o['fill_rate']:.2f} %",
                        _num(o["total_cost"], 2),
                    ]
                )
    story.append(Spacer(1, 2 * mm))
    story.append(table(levels))

    rr = r["reroute"]
    story.append(Paragraph(f"{esc(rr['passage'].capitalize())} closure: reroutes", styles["Heading2"]))
    if rr["lanes"]:
        lanes = [["Lane", "From -> to", "Open km", "Detour km", "Added days", "Via"]] + [
            [
                row["lane"],
                f"{row['from']} -> {row['to']}",
                _num(row.get("base_km")),
                _num(row.get("detour_km")),
                _num(row.get("added_days"), 1),
                ", ".join(row.get("detour_via") or []) or "-",
            ]
            for row in rr["lanes"]
        ]
        story.append(table(lanes))
        if rr.get("impact"):
            story.append(Paragraph(esc("; ".join(rr["impact"]["reasons"])), small))
    else:
        story.append(Paragraph(f"No sea lane crosses {esc(rr['passage'])}.", body))

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"Resilience report: {r['network']['name']}",
        author="supplyguard",
        invariant=1,
    )
    doc.build(story)
    return out.getvalue()
