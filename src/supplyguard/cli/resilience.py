"""``supplyguard resilience ...``: disruption analysis and sea routing on network files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from supplyguard.cli.context import out_console

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
