"""``supplyguard ledger ...``: checkpoints, proofs, whole-database verification, offline checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from supplyguard.cli.context import err_console, open_container, out_console
from supplyguard.config import load_settings
from supplyguard.errors import FieldError, ValidationFailed, VerificationFailed
from supplyguard.services import ledger as service

ledger_app = typer.Typer(help="The tamper-evident ledger (RFC 9162 Merkle log).", no_args_is_help=True)


@ledger_app.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint at the current tree size (if none is) and print the signed note."""
    with open_container() as container:
        stored = service.sign_checkpoint_now(container.uow(), container.signer, container.clock)
        out_console.print(stored.note, end="", highlight=False, soft_wrap=True)


@ledger_app.command("prove")
def prove(
    record_id: str = typer.Argument(None, help="Id of a recorded row (declaration, outcome, user ...)."),
    index: int = typer.Option(None, "--index", min=0, help="Leaf index instead of a record id."),
    size: int = typer.Option(
        None, "--size", min=1, help="Tree size of a signed checkpoint (default: latest)."
    ),
) -> None:
    """Print an inclusion proof bundle (JSON) that anyone can check with `ledger check-proof`."""
    with open_container() as container:
        bundle = service.inclusion_bundle(
            container.uow(readonly=True), record_id=record_id, index=index, size=size
        )
    sys.stdout.write(bundle.to_json() + "\n")


@ledger_app.command("consistency")
def consistency(
    first: int = typer.Argument(..., min=1, help="The older tree size."),
    second: int = typer.Argument(
        None, min=1, help="The newer tree size (a signed checkpoint; default: latest)."
    ),
) -> None:
    """Print a consistency proof bundle (JSON): the tree at FIRST is a prefix of the tree at SECOND."""
    with open_container() as container:
        bundle = service.consistency_bundle(container.uow(readonly=True), first, second)
    sys.stdout.write(bundle.to_json() + "\n")


@ledger_app.command("verify")
def verify() -> None:
    """Recompute every body hash and the whole tree; name any row changed, deleted or inserted."""
    with open_container() as container:
        report = service.verify_database(
            container.uow(),
            container.clock,
            None,
            on_progress=lambda what: err_console.print(f"checking {what}"),
        )
    if report.ok:
        out_console.print(
            f"ledger intact: {report.leaves} leaves, {report.records_checked} records match their leaves"
        )
        return
    for problem in report.problems:
        out_console.print(f"- {problem}", highlight=False)
    raise VerificationFailed(f"{len(report.problems)} problem(s) found in {report.leaves} leaves")


def _read_key(key: str) -> str:
    path = Path(key)
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return key.strip()


@ledger_app.command("check-proof")
def check_proof(
    bundle: Path = typer.Argument(
        ..., help="A proof bundle (JSON) from `ledger prove` or `ledger consistency`."
    ),
    key: str = typer.Option(..., "--key", help="The log's verifier key (name+id+key), or a file holding it."),
) -> None:
    """Verify a proof bundle offline, with no database: what a partner or an auditor runs."""
    from supplyguard.ledger import verify_consistency_bundle, verify_inclusion_bundle

    if not bundle.is_file():
        raise ValidationFailed([FieldError(("BUNDLE",), f"{bundle} is not a readable file")])
    try:
        data = json.loads(bundle.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationFailed(f"{bundle} is not a JSON proof bundle: {exc}") from exc
    if not isinstance(data, dict):
        raise VerificationFailed(f"{bundle} is not a JSON object")
    verifier = _read_key(key)
    if "consistency_path" in data:
        result = verify_consistency_bundle(data, verifier)
    else:
        result = verify_inclusion_bundle(data, verifier)  # type: ignore[assignment]
    out_console.print(f"OK: {result.describe()}", highlight=False, soft_wrap=True)


@ledger_app.command("pubkey")
def pubkey() -> None:
    """Print this node's ledger public key in the signed-note verifier-key format."""
    from supplyguard.adapters.keys import load_or_create_signer

    settings = load_settings()
    sys.stdout.write(load_or_create_signer(settings.keys_dir, settings.node_name).vkey + "\n")
