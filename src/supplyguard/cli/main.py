"""The ``supplyguard`` command: one Typer app, one command group per area.

Every command reads the node's settings from ``SUPPLYGUARD_*`` variables (or the TOML file named by
``SUPPLYGUARD_CONFIG_FILE``), so two nodes can run side by side from two environments.
"""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from supplyguard.cli import (
    accounts,
    declarations,
    demo,
    events,
    intel,
    ledger,
    resilience,
    risk,
    screening,
    server,
)
from supplyguard.cli.context import err_console
from supplyguard.cli.exits import exit_code_for
from supplyguard.errors import SupplyGuardError, ValidationFailed

app = typer.Typer(
    name="supplyguard",
    help="supplyguard: declarations, screening, risk, tracking, ledger and sharing for one node.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(server.db_app, name="db")
app.add_typer(accounts.org_app, name="org")
app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.token_app, name="token")
app.add_typer(declarations.import_app, name="import")
app.add_typer(ledger.ledger_app, name="ledger")
app.add_typer(events.events_app, name="events")
app.add_typer(risk.risk_app, name="risk")
app.add_typer(resilience.resilience_app, name="resilience")
app.add_typer(screening.lists_app, name="lists")
app.add_typer(screening.screening_app, name="screening")
app.command("screen")(screening.screen)
app.add_typer(intel.partners_app, name="partners")
app.add_typer(intel.intel_app, name="intel")
app.add_typer(intel.sync_app, name="sync")
app.command("serve")(server.serve)
app.command("demo")(demo.demo)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn supplyguard errors into a message and an exit code."""
    try:
        app(args=argv, prog_name="supplyguard", standalone_mode=False)
    except SupplyGuardError as exc:
        err_console.print(Text.assemble(("error:", "bold red"), " ", exc.message))
        if isinstance(exc, ValidationFailed) and len(exc.errors) > 1:
            for field_error in exc.errors:
                err_console.print(f"  - {field_error}", highlight=False, markup=False)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # Click usage errors and aborts
        import click

        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
