"""The ``supplyguard`` command: one Typer app, one command group per area.

Every command reads the node's settings from ``SUPPLYGUARD_*`` variables (or the TOML file named by
``SUPPLYGUARD_CONFIG_FILE``), so two nodes can run side by side from two environments.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading

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
    """Entry point: run the app and turn supplyguard errors into a message and an exit code.

    Run as the command (no ``argv``), the process then ends at once (:func:`_end_process`)."""
    if argv is not None:
        _run(argv)
        return
    try:
        _run(sys.argv[1:])
    except SystemExit as done:
        _end_process(done.code)
        raise
    _end_process(0)


def _end_process(code: object) -> None:
    """End the command's process without tearing the interpreter down, once nothing is left to do.

    A finished command has closed what it opened (database, files, worker processes); what is left
    is the interpreter freeing every module and object one by one, after a last garbage collection:
    about a tenth of a second after a bulk import, the command's output already printed. The exit
    handlers run and the standard streams are flushed first, as at a normal exit. Where some other
    thread or child process still runs, or the exit code is not a number, the normal exit follows.
    """
    if code is None:
        code = 0
    processes = sys.modules.get("multiprocessing")  # loaded by the commands that start any
    if (
        not isinstance(code, int)
        or threading.active_count() > 1
        or (processes is not None and processes.active_children())
    ):
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken stream: the normal exit reports it
        return
    os._exit(code)


def _run(args: list[str]) -> None:
    try:
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
