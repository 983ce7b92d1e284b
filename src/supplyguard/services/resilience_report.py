"""The report a manager can forward: one self-contained HTML page (inline CSS and SVG, print
styles) and the same content as a PDF drawn with ReportLab (BSD licence)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from supplyguard.services.resilience_svg import exceedance_svg, histogram_svg, land_rings, network_svg

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


def render_pdf(report: dict[str, Any]) -> bytes:
    """The report as a PDF (A4): headline, exposure ranking, loss histogram, stockpile plan,
    service levels and the passage-closure reroutes."""
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
        Paragraph("Exposure ranking", styles["Heading2"]),
    ]
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
                "; ".join(row["reasons"][-2:]),
            ]
        )
    story.append(table(rows, [8 * mm, 38 * mm, 18 * mm, 12 * mm, 16 * mm, 10 * mm, 13 * mm, 65 * mm]))

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
