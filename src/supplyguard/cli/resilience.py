"""``supplyguard resilience ...``: disruption analysis and sea routing on network files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from supplyguard.cli.context import out_console
from supplyguard.errors import FieldError, ValidationFailed

resilience_app = typer.Typer(help="Resilience and contingency planning.", no_args_is_help=True)


@resilience_app.command("analyse")
def analyse(
    path: Path = typer.Argument(..., help="A network file (YAML; see docs/resilience.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print the scenario list as JSON."),
) -> None:
    """Impact, time-to-survive, time-to-recover and risk exposure index of every single-point disruption."""
    from supplyguard.services import resilience_files as service

    results = service.analyse_file(path)
    if as_json:
        typer.echo(json.dumps([result.as_json() for result in results], indent=2))
        return
    out_console.print(f"{'scenario':<36}{'loss':>14}{'REI':>7}{'TTS':>9}{'TTR':>7}  exposed")
    for result in service.ranked(results):
        tts = "unbounded" if result.tts is None else f"{result.tts:.3f}"
        out_console.print(
            f"{result.scenario:<36}{result.loss:>14,.0f}{result.rei:>7.3f}{tts:>9}{result.ttr:>7.2f}  "
            f"{'yes' if result.exposed else 'no'}"
        )


@resilience_app.command("routes")
def routes(
    origin: str = typer.Argument(..., help="Port of departure (UN/LOCODE, e.g. CNSHA)."),
    destination: str = typer.Argument(..., help="Port of arrival (UN/LOCODE, e.g. NLRTM)."),
    close: list[str] = typer.Option([], "--close", help="Passage to close (suez, panama, malacca, ...)."),
    alternatives: int = typer.Option(3, min=1, max=10, help="How many passage-distinct routes to list."),
) -> None:
    """Sea routes between two ports on the searoute network, with passages closed."""
    from supplyguard.services import resilience_files as service

    typer.echo(json.dumps(service.sea_routes(origin, destination, close, alternatives), indent=2))


@resilience_app.command("road-route")
def road_route(
    graph: Path = typer.Argument(..., help="A road or rail GeoGraph JSON file (e.g. us_freeway.graphjson)."),
    origin: str = typer.Argument(..., help="Start as 'lat,lon'."),
    destination: str = typer.Argument(..., help="End as 'lat,lon'."),
    speed: float = typer.Option(60.0, "--speed", min=1.0, max=300.0, help="Average speed in km/h."),
) -> None:
    """Shortest road or rail route on a graph file between two points, with distance and days."""
    from supplyguard.services import resilience_files as service

    typer.echo(json.dumps(service.graph_route(graph, origin, destination, speed_kmh=speed), indent=2))


@resilience_app.command("simulate")
def simulate(
    path: Path = typer.Argument(..., help="A network file (YAML; see docs/resilience.md)."),
    runs: int = typer.Option(2000, "--runs", help="Sampled disruption scenarios (1 to 100,000)."),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same result."),
    risks: Path = typer.Option(
        None, "--risks", help="Risk profiles (YAML: id -> probability, distribution, params)."
    ),
    horizon: float = typer.Option(None, "--horizon", help="Periods per sample (default: the network's TTR)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Monte Carlo: distribution of loss and of unmet demand per product over sampled disruptions."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from supplyguard.cli.context import err_console
    from supplyguard.services import resilience_files as service

    network, profiles = service.simulation_inputs(path, risks, runs=runs, seed=seed, horizon=horizon)
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        task = progress.add_task("samples", total=max(runs, 1))
        summary = service.simulate_network(
            network,
            profiles,
            runs=runs,
            seed=seed,
            horizon=horizon,
            on_progress=lambda done: progress.update(task, completed=done),
        )
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    loss = summary["loss"]
    out_console.print(
        f"{summary['samples']:,} samples (seed {summary['seed']}, horizon {summary['horizon']:g} periods, "
        f"{summary['distinct_samples']:,} distinct); risks: {summary['risks']}"
    )
    out_console.print(
        f"loss  mean {loss['mean']:,.0f}  sd {loss['sd']:,.0f}  p50 {loss['p50']:,.0f}  "
        f"p90 {loss['p90']:,.0f}  p95 {loss['p95']:,.0f}  p99 {loss['p99']:,.0f}  "
        f"CVaR95 {loss['cvar95']:,.0f}  P(loss) {loss['probability_of_loss']:.1%}"
    )
    out_console.print(f"{'unmet demand':<16}{'mean':>12}{'p95':>12}{'P(short)':>10}")
    for product, unmet in summary["unmet"].items():
        out_console.print(
            f"{product:<16}{unmet['mean']:>12,.1f}{unmet['p95']:>12,.1f}{unmet['probability_short']:>10.1%}"
        )
    for item in summary["contributors"][:5]:
        out_console.print(f"  {item['reason']}")


@resilience_app.command("stockpile")
def stockpile(
    path: Path = typer.Argument(..., help="A network file (YAML; see docs/resilience.md)."),
    scenarios: list[str] = typer.Option(
        [],
        "--scenarios",
        help="Scenarios to survive (repeat or comma-separate: site:ID, asset:ID, passage:NAME, a "
        "declared id). Default: every site outage.",
    ),
    lead_periods: float = typer.Option(
        1.0, "--lead-periods", help="Protection interval of the base-stock view."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """The cheapest emergency stock per site and product making TTS >= TTR, and the service-level view."""
    from supplyguard.services import resilience_files as service

    names = [name for item in scenarios for name in item.split(",") if name.strip()]
    plan = service.stockpile_file(path, names, lead_periods=lead_periods)
    if as_json:
        typer.echo(json.dumps(plan, indent=2))
        return
    out_console.print(
        f"emergency stock so that every scenario survives its TTR ({len(plan['scenarios'])} scenarios)"
    )
    out_console.print(f"{'site':<16}{'product':<12}{'extra units':>14}{'holding/period':>16}")
    for row in plan["additions"]:
        out_console.print(
            f"{row['site']:<16}{row['product']:<12}{row['units']:>14,.1f}{row['holding_cost_per_period']:>16,.2f}"
        )
    if not plan["additions"]:
        out_console.print("no extra stock is needed: every scenario already survives its TTR")
    out_console.print(f"holding cost per period: {plan['holding_cost_per_period']:,.2f}")
    for scenario, lost in plan["uncovered"].items():
        out_console.print(f"uncovered in {scenario}: {lost}")
    out_console.print(f"\nservice levels (base stock over {plan['lead_periods']:g} periods)")
    out_console.print(f"{'product':<10}{'choice':<34}{'base stock':>12}{'fill rate':>11}{'cost/period':>13}")
    for product, options in plan["service_levels"].items():
        for option in options:
            out_console.print(
                f"{product:<10}{option['label']:<34}{option['base_stock']:>12,.0f}"
                f"{option['fill_rate']:>11.2%}{option['total_cost']:>13,.2f}"
            )


@resilience_app.command("report")
def report(
    path: Path = typer.Argument(..., help="A network file (YAML; see docs/resilience.md)."),
    out: Path = typer.Option(..., "--out", help="report.html (self-contained) or report.pdf"),
    risks: Path = typer.Option(None, "--risks", help="Risk profiles for the Monte Carlo section (YAML)."),
    runs: int = typer.Option(1000, "--runs", help="Monte Carlo samples."),
    seed: int = typer.Option(1, "--seed", help="Random seed."),
) -> None:
    """Write the report a manager can forward: exposure ranking, loss distribution, stockpile plan,
    Suez-closure reroutes and the network map."""
    from importlib import resources

    from supplyguard.model.clock import SystemClock
    from supplyguard.services import resilience_files as service

    land = (
        Path(str(resources.files("supplyguard.web"))) / "static" / "vendor" / "world-atlas" / "land-110m.json"
    )
    written = service.report_file(
        path, risks, out, runs=runs, seed=seed, now=SystemClock().now(), land_file=land
    )
    out_console.print(f"report written to {written}")


@resilience_app.command("store")
def store(
    path: Path = typer.Argument(..., help="A network file (YAML with its CSV tables)."),
    risks: Path = typer.Option(None, "--risks", help="Risk profiles for Monte Carlo (YAML)."),
    org: str = typer.Option(None, "--org", help="Organisation (needed when the node has several)."),
) -> None:
    """Store a network on this node as the next version of its name (the same content keeps its version)."""
    from supplyguard.cli.context import open_container, operator
    from supplyguard.services import resilience as service
    from supplyguard.services import resilience_files

    document = resilience_files.network_document_of_file(path)
    risks_text = None
    if risks is not None:
        if not risks.is_file():
            raise ValidationFailed([FieldError(("--risks",), f"{risks} is not a readable file")])
        risks_text = risks.read_text(encoding="utf-8")
    with open_container() as container:
        result = service.store_network(
            container.uow(),
            container.clock,
            container.signer,
            operator(container, org),
            document,
            risks=risks_text,
        )
    stored = result.network
    state = "stored" if result.created else "already stored"
    out_console.print(
        f"{stored.name} version {stored.version} {state}: id {stored.id} "
        f"(sha256 {stored.content_sha256[:16]}...)"
    )


@resilience_app.command("networks")
def networks(
    org: str = typer.Option(None, "--org", help="Organisation (needed when the node has several)."),
) -> None:
    """The networks stored on this node, every version, newest first."""
    from supplyguard.cli.context import open_container, operator
    from supplyguard.services import resilience as service

    with open_container() as container:
        stored = service.list_networks(container.uow(readonly=True), operator(container, org))
    for network in stored:
        out_console.print(
            f"{network.id}  {network.name} v{network.version}  {network.summary.get('sites', 0)} sites  "
            f"{network.created_at:%Y-%m-%d %H:%M} {network.created_by}"
        )
