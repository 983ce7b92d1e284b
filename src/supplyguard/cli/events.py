"""``supplyguard events ...``: EPCIS 2.0 event documents."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from supplyguard.cli.context import open_container, operator, out_console
from supplyguard.errors import FieldError, PayloadTooLarge, ValidationFailed
from supplyguard.services.tracking import MAX_DOCUMENT_BYTES, capture_events, hash_events

events_app = typer.Typer(help="EPCIS 2.0 events.", no_args_is_help=True)


@events_app.command("hash")
def hash_command(paths: list[Path] = typer.Argument(..., help="EPCIS documents, XML or JSON-LD.")) -> None:
    """Print the CBV 2.0 event hash of each event, one line each, in document order (file by file)."""
    for path in paths:
        if not path.is_file():
            raise ValidationFailed([FieldError(("FILE",), f"{path} is not a readable file")])
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise PayloadTooLarge(size, MAX_DOCUMENT_BYTES)
        sys.stdout.write("".join(f"{digest}\n" for digest in hash_events(path.read_bytes())))


@events_app.command("import")
def import_command(
    path: Path = typer.Argument(..., help="An EPCIS document, XML or JSON-LD."),
    org: str = typer.Option(
        None, help="Organisation the events belong to (needed when the node has several)."
    ),
    worker: bool | None = typer.Option(
        None,
        "--worker/--no-worker",
        help="Parse in a forked worker while this process stores (default: for documents of 512 KB "
        "or more on two cores or more); --no-worker where the cores are busy with other work.",
        show_default=False,
    ),
) -> None:
    """Capture an EPCIS document all or nothing: every event stored and proved in the ledger."""
    if not path.is_file():
        raise ValidationFailed([FieldError(("FILE",), f"{path} is not a readable file")])
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(size, MAX_DOCUMENT_BYTES)
    with open_container() as container:
        actor = operator(container, org)
        job = capture_events(
            container.uow(),
            container.clock,
            container.signer,
            actor,
            path.read_bytes(),
            schema=container.extras.get("epcis_schema"),
            source="cli",
            worker=worker,
        )
    out_console.print(f"{job.event_count} events captured from {path.name}; capture {job.id}")
