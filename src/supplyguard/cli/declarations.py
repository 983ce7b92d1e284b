"""``supplyguard import declarations FILE``: bulk import with a progress bar and an error report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from supplyguard.cli.context import err_console, open_container, operator, out_console
from supplyguard.cli.exits import EXIT_ROWS_REJECTED
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.services.import_formats import detect_format, read_csv, read_ndjson

if TYPE_CHECKING:
    from supplyguard.bootstrap import Container
    from supplyguard.model.organisations import Principal
    from supplyguard.screening import Screener
    from supplyguard.services.risk_intake import IntakeRisk

import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)

SHOWN_ERRORS = 20


def _screener(container: Container) -> Screener | None:
    """The node's screener; with no list folder at all, None without loading the screening modules."""
    lists_dir = container.settings.lists_dir
    if not lists_dir.is_dir() or not any(
        p.is_dir() and not p.name.startswith(".") for p in lists_dir.iterdir()
    ):
        return None
    from supplyguard.services.screening import screener_for

    return screener_for(container.extras, lists_dir)


def _intake_risk(container: Container, actor: Principal) -> IntakeRisk | None:
    """The node's intake scorer; None, without loading the risk modules, when the organisation has
    no active model (nothing to score)."""
    with container.uow(readonly=True) as uow:
        if uow.risk.active_model(actor.org_id) is None:
            return None
    from supplyguard.services.risk_intake import intake_risk_for

    return intake_risk_for(container.extras, container.settings)


@import_app.command("declarations")
def import_declarations_command(
    path: Path = typer.Argument(..., help="CSV (KCS layout or supplyguard's) or NDJSON file."),
    org: str = typer.Option(
        None, help="Organisation the declarations belong to (needed when the node has several)."
    ),
    fmt: str = typer.Option(None, "--format", help="csv or ndjson (default: from the file name / content)."),
    report: Path = typer.Option(None, help="Write the full JSON report (every rejected row) to this file."),
    outcomes: bool = typer.Option(True, help="Store the inspection outcomes that KCS labels record."),
    workers: int | None = typer.Option(
        None,
        min=1,
        max=32,
        help="1: read, check and write in this process; 2 or more: rows are read and checked in a second "
        "process while this one writes (default: 2 where a second core is free, else 1).",
    ),
) -> None:
    """Import declarations; exits 3 when some rows were rejected (the good ones are stored)."""
    from supplyguard.model.clock import SystemClock
    from supplyguard.services.import_rows import ImportReader, default_workers

    if not path.is_file():
        raise ValidationFailed([FieldError(("PATH",), f"{path} is not a readable file")])
    if fmt not in (None, "csv", "ndjson"):
        raise ValidationFailed([FieldError(("--format",), "must be csv or ndjson")])
    with path.open("rb") as probe:
        head = probe.read(64)
    fmt = fmt or detect_format(path.name, None, head)
    total = path.stat().st_size
    with (
        path.open("r", encoding="utf-8-sig", newline="") as stream,
        ImportReader(
            read_csv(stream) if fmt == "csv" else read_ndjson(stream),
            received_at=SystemClock().now(),
            with_outcomes=outcomes,
            workers=workers or default_workers(),
        ) as rows,
    ):
        # The reader process (with 2 workers) has started: it checks rows while this process loads
        # the database layer and opens the node. The import loads the screener only when a list is
        # installed, the risk modules only when a model is active, and the watch-list matching
        # only when an agreement secret is installed.
        from supplyguard.services.imports import import_declarations
        from supplyguard.services.watch_intake import WatchIntake

        with open_container() as container:
            actor = operator(container, org)
            watch = WatchIntake.from_settings(container.settings)
            progress = Progress(
                TextColumn("[bold]importing[/] {task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%  {task.fields[rows]} rows"),
                TimeElapsedColumn(),
                console=err_console,
                transient=False,
            )
            with progress:
                task = progress.add_task(path.name, total=total, rows=0)

                def on_progress(rows_read: int) -> None:
                    position = stream.buffer.tell()  # type: ignore[attr-defined]
                    progress.update(task, completed=min(position, total), rows=rows_read)

                try:
                    result = import_declarations(
                        container.uow(),
                        container.clock,
                        container.refdata,
                        container.signer,
                        actor,
                        rows,
                        source=f"cli-{fmt}",
                        batch_rows=container.settings.import_batch_rows,
                        with_outcomes=outcomes,
                        screener=_screener(container),
                        on_progress=on_progress,
                        risk=_intake_risk(container, actor),
                        watch=watch if watch.has_secret() else None,
                    )
                except UnicodeDecodeError as exc:
                    raise ValidationFailed(
                        [FieldError(("PATH",), f"{path} is not UTF-8 text: {exc.reason}")]
                    ) from exc
                progress.update(task, completed=total, rows=result.rows_read)
    summary = result.as_dict()
    if report is not None:
        report.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    out_console.print(
        f"{result.stored} declarations stored ({result.outcomes_stored} outcomes), "
        f"{result.rejected} rows rejected, of {result.rows_read} read; batch {result.batch_id}"
    )
    for error in result.errors[:SHOWN_ERRORS]:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in error.errors
        )
        ref = f" ({error.reference})" if error.reference else ""
        err_console.print(f"row {error.row}{ref}: {reasons}", highlight=False)
    if result.rejected > SHOWN_ERRORS:
        err_console.print(f"... and {result.rejected - SHOWN_ERRORS} more rejected rows (use --report FILE)")
    if result.rejected:
        sys.exit(EXIT_ROWS_REJECTED)
