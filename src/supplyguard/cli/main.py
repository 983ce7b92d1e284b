"""The ``supplyguard`` command: one Typer app, one command group per area.

Every command reads the node's settings from ``SUPPLYGUARD_*`` variables (or the TOML file named by
``SUPPLYGUARD_CONFIG_FILE``), so two nodes can run side by side from two environments.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.text import Text

from supplyguard.cli.context import err_console
from supplyguard.cli.exits import exit_code_for
from supplyguard.errors import SupplyGuardError, ValidationFailed

#: name on the command line -> (module in supplyguard.cli, attribute): a Typer group or a command.
#: Only the module of the command being run is imported, so every command starts quickly.
GROUPS: dict[str, tuple[str, str]] = {
    "db": ("server", "db_app"),
    "org": ("accounts", "org_app"),
    "user": ("accounts", "user_app"),
    "token": ("accounts", "token_app"),
    "import": ("declarations", "import_app"),
    "ledger": ("ledger", "ledger_app"),
    "events": ("events", "events_app"),
    "tracking": ("tracking", "tracking_app"),
    "risk": ("risk", "risk_app"),
    "resilience": ("resilience", "resilience_app"),
    "lists": ("screening", "lists_app"),
    "screening": ("screening", "screening_app"),
    "partners": ("intel", "partners_app"),
    "intel": ("intel", "intel_app"),
    "sync": ("intel", "sync_app"),
}
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("server", "serve"),
    "demo": ("demo", "demo"),
    "screen": ("screening", "screen"),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The command tree; with ``only``, just that group or command (the others are not imported)."""
    app = typer.Typer(
        name="supplyguard",
        help="supplyguard: declarations, screening, risk, tracking, ledger and sharing for one node.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def _root() -> None:
        """supplyguard: declarations, screening, risk, tracking, ledger and sharing for one node."""

    for name, (module, attribute) in GROUPS.items():
        if only is None or only == name:
            app.add_typer(getattr(importlib.import_module(f"supplyguard.cli.{module}"), attribute), name=name)
    for name, (module, attribute) in COMMANDS.items():
        if only is None or only == name:
            app.command(name)(getattr(importlib.import_module(f"supplyguard.cli.{module}"), attribute))
    return app


def _command_of(argv: list[str]) -> str | None:
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in GROUPS or first in COMMANDS else None


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn supplyguard errors into a message and an exit code."""
    try:
        args = sys.argv[1:] if argv is None else argv
        build_app(_command_of(args))(args=args, prog_name="supplyguard", standalone_mode=False)
    except SupplyGuardError as exc:
        err_console.print(Text.assemble(("error:", "bold red"), " ", exc.message))
        if isinstance(exc, ValidationFailed) and len(exc.errors) > 1:
            for field_error in exc.errors:
                err_console.print(f"  - {field_error}", highlight=False, markup=False)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # usage errors and aborts from Typer's (vendored) Click
        kind = type(exc).__name__
        if kind == "Abort":
            sys.exit(1)
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
