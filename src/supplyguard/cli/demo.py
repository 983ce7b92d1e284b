"""``supplyguard demo``: build the demo world into the configured database, then serve it."""

from __future__ import annotations

import typer
from rich.table import Table

from supplyguard.cli.context import err_console, open_container, out_console
from supplyguard.errors import Conflict


def demo(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API and dashboard afterwards."),
    seed: int = typer.Option(2026, help="Seed of the demo world generator."),
    declarations: int = typer.Option(2000, min=10, max=200_000, help="How many declarations to generate."),
) -> None:
    """Build the deterministic demo world (two customs administrations, a carrier, ~2,000 declarations)."""
    from supplyguard.adapters.db.migrate import upgrade
    from supplyguard.demo.load import load_world
    from supplyguard.demo.world import generate_world

    with open_container(require_schema=False) as container:
        upgrade(container.engine)
        with container.uow(readonly=True) as uow:
            if uow.accounts.list_orgs():
                raise Conflict(
                    "the database already holds organisations; point SUPPLYGUARD_DATABASE_URL (or "
                    "SUPPLYGUARD_DATA_DIR) at an empty database for the demo"
                )
        world = generate_world(seed, declarations)
        summary = load_world(
            container, world, on_step=lambda message: err_console.print(f"loading {message}")
        )
        table = Table(title="Demo logins", show_lines=False)
        for column in ("organisation", "username", "password", "roles"):
            table.add_column(column)
        for org_name, user in summary.logins:
            table.add_row(org_name, user.username, user.password, ", ".join(user.roles))
        out_console.print(table)
        out_console.print(
            f"{summary.declarations} declarations and {summary.outcomes} inspection outcomes loaded into "
            f"{container.engine.url.render_as_string(hide_password=True)}"
        )
    if serve:
        from supplyguard.cli.server import serve as serve_command

        serve_command(host=None, port=None)  # type: ignore[arg-type]
