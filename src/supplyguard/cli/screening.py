"""``supplyguard lists ...``, ``supplyguard screen`` and ``supplyguard screening evaluate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from supplyguard.cli.context import err_console, out_console
from supplyguard.config import load_settings
from supplyguard.errors import FieldError, ValidationFailed

if TYPE_CHECKING:
    from supplyguard.adapters.lists_store import ListStore

lists_app = typer.Typer(help="Sanctions and denied-party lists.", no_args_is_help=True)
screening_app = typer.Typer(help="Screening quality.", no_args_is_help=True)
DEFAULT_THRESHOLD = 0.75


def _store() -> ListStore:
    from supplyguard.adapters.lists_store import ListStore

    return ListStore(load_settings().lists_dir)


@lists_app.command("import")
def lists_import(
    paths: list[Path] = typer.Argument(..., help="List files (or an OFAC CSV folder), format detected."),
    fmt: str = typer.Option(
        None, "--format", help="ofac-csv, un-xml, eu-xml, csl-csv, bis-dpl, uk-ofsi-csv, ftm-json"
    ),
    rescreen: bool = typer.Option(True, help="Re-screen the parties of open declarations afterwards."),
) -> None:
    """Install lists into this node; a broken file leaves the list in force and says what is wrong."""
    from supplyguard.model.clock import SystemClock
    from supplyguard.services import screening as service

    for meta in service.import_lists(_store(), SystemClock(), paths, fmt):
        out_console.print(
            f"{meta.list_id}: {meta.entry_count} entries, list date {meta.list_date or 'unknown'}, "
            f"source {meta.source} (sha256 {meta.content_sha256[:12]}…)"
        )
    if rescreen:
        _rescreen_node("lists import")


def _rescreen_node(trigger: str, org: str | None = None) -> None:
    """Re-screen the open declarations' parties of every organisation (or the one named)."""
    from supplyguard.adapters.db.migrate import is_up_to_date
    from supplyguard.cli.context import open_container, operator
    from supplyguard.services import screening as service

    with open_container(require_schema=False) as container:
        if not is_up_to_date(container.engine):
            out_console.print("re-screening: no database on this node yet (run `supplyguard db upgrade`)")
            return
        with container.uow(readonly=True) as uow:
            names = [o.name for o in uow.accounts.list_orgs()]
        if org is not None and org not in names:
            raise ValidationFailed([FieldError(("--org",), f"no organisation named {org!r}")])
        chosen = [name for name in names if org is None or name == org]
        actors = [operator(container, name) for name in chosen]
        reports = service.rescreen_all(
            container.uow, container.clock, _store(), DEFAULT_THRESHOLD, actors, trigger=trigger
        )
    for name, report in zip(chosen, reports, strict=True):
        out_console.print(
            f"{name}: re-screened {report.parties} parties of open declarations: "
            f"{len(report.added)} new hits, {len(report.removed)} hits gone (run {report.run_id})"
        )
        for hit in report.added:
            out_console.print(
                f"  + {hit['party']} {hit['name']}: {hit['list']} {hit['entity_id']} {hit['entity_name']} "
                f"{hit['score']:.2f}"
            )
        for hit in report.removed:
            out_console.print(
                f"  - {hit['party']} {hit['name']}: {hit['list']} {hit['entity_id']} {hit['entity_name']}"
            )
        for line in report.skipped:
            err_console.print(f"  skipped {line}")


@lists_app.command("update")
def lists_update(
    names: list[str] = typer.Argument(
        None,
        help="List ids to update (default: the installed lists that have a URL, "
        "else ofac-sdn, ofac-cons, un-sc, us-csl). URLs: setting screening_list_urls.",
    ),
    allow_shrink: bool = typer.Option(
        False, help="Accept a new version with under half the entries of the list in force."
    ),
    rescreen: bool = typer.Option(True, help="Re-screen the parties of open declarations afterwards."),
) -> None:
    """Download lists from their official URLs, check they parse, and swap them in; a list whose
    download is broken, cut short or unreachable stays as it was (exit 9, with the reason)."""
    from rich.progress import DownloadColumn, TransferSpeedColumn

    from supplyguard.adapters.lists_store import download_client
    from supplyguard.errors import ListSourceError
    from supplyguard.model.clock import SystemClock
    from supplyguard.services import screening as service

    settings = load_settings()
    store = _store()
    targets = service.lists_to_update(store, settings.screening_list_urls, names or [])
    with (
        download_client(settings.screening_download_timeout_s) as client,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=err_console,
        ) as progress,
    ):
        tasks: dict[str, TaskID] = {}

        def advance(label: str, done: int, total: int | None) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done, total=total)

        results = service.update_lists(store, SystemClock(), targets, client, advance, allow_shrink)
    failed = [r for r in results if r.error]
    for result in results:
        if result.metadata is not None:
            meta = result.metadata
            out_console.print(
                f"{result.list_id}: updated, {meta.entry_count} entries, list date "
                f"{meta.list_date or 'unknown'}, from {result.url} (sha256 {meta.content_sha256[:12]}…)"
            )
        else:
            err_console.print(f"{result.list_id}: NOT updated, the list in force stays: {result.error}")
    if rescreen and len(failed) < len(results):
        _rescreen_node("lists update")
    if failed:
        raise ListSourceError(
            ", ".join(r.list_id for r in failed), f"{len(failed)} of {len(results)} list(s) not updated"
        )


@lists_app.command("list")
def lists_list() -> None:
    """The lists in force."""
    for manifest in _store().manifests():
        meta = manifest["metadata"]
        source = manifest.get("source_url") or meta["source"]
        out_console.print(
            f"{meta['list_id']:<14} {meta['entry_count']:>7} entries  "
            f"list date {meta['list_date'] or '?':<12} imported {manifest['imported_at']}  from {source}"
        )


def screen(
    name: str = typer.Argument(None, help="A name to screen."),
    country: str = typer.Option("", help="Country or nationality (ISO code or name)."),
    dob: str = typer.Option("", help="Date or year of birth."),
    identifier: str = typer.Option("", "--id", help="An identifier: IMO, passport, registration number..."),
    file: Path = typer.Option(None, "--file", help="CSV with a name column (and country, dob, id)."),
    fmt: str = typer.Option("jsonl", "--format", help="Output for --file: jsonl."),
    threshold: float = typer.Option(DEFAULT_THRESHOLD, min=0.0, max=1.0, help="Alert threshold."),
    workers: int = typer.Option(
        1, min=1, max=64, help="Processes screening --file rows (forked; 2 on a 2-core machine)."
    ),
) -> None:
    """Screen a name, or every row of a file, against all installed lists; hits come with reasons."""
    from supplyguard.services import screening as service

    if (name is None) == (file is None):
        raise ValidationFailed([FieldError(("NAME",), "give a name or --file, not both")])
    if fmt != "jsonl":
        raise ValidationFailed([FieldError(("--format",), "only jsonl is supported")])
    screener = service.build_screener(_store(), threshold)
    if name is not None:
        hits = service.screen_one(screener, name, country, dob, identifier)
        if not hits:
            out_console.print(f"no hit at or above {threshold:.2f}")
        for hit in hits:
            out_console.print(f"{hit.score:.2f} {hit.list_id} {hit.entity_id} {hit.entity_name}")
            out_console.print(f"     {hit.why}")
        return
    if not file.is_file():
        raise ValidationFailed([FieldError(("--file",), f"{file} is not a readable file")])
    with file.open(encoding="utf-8", errors="replace") as counting:
        total = sum(1 for _ in counting) - 1
    with (
        file.open(newline="", encoding="utf-8") as stream,
        Progress(
            TextColumn("screening"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            console=err_console,
        ) as progress,
    ):
        task = progress.add_task("rows", total=max(total, 0))
        for result in service.screen_csv(screener, stream, workers):
            sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
            progress.advance(task)


@screening_app.command("rescreen")
def rescreen_command(
    org: str = typer.Option(None, help="Only this organisation (default: every one on the node)."),
) -> None:
    """Screen the parties of open declarations again against the lists in force; new and removed
    hits are stored and printed (false positives stay so while the entry and name are unchanged)."""
    _rescreen_node("manual", org)


@screening_app.command("evaluate")
def evaluate(
    folder: Path = typer.Argument(..., help="The shared screening data folder (lists and fixtures)."),
    negatives: int = typer.Option(None, help="Negatives per fixture file (default: all 50,000 each)."),
    seed: int = typer.Option(2026, help="Seed of the generated SDN variant suite."),
) -> None:
    """Recall and false-alert rate at each threshold, by variant kind, on both labelled suites."""
    from supplyguard.screening.evaluation import evaluate_folder, format_table

    for title, rows in evaluate_folder(folder, negatives_per_file=negatives, seed=seed):
        typer.echo(format_table(title, rows))
        typer.echo("")
