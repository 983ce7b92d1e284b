"""``supplyguard partners|intel|sync ...``: partner nodes, agreements, intelligence, TAXII pulls."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import typer
import yaml

from supplyguard.adapters.sharing_keys import save_partner_token
from supplyguard.adapters.sharing_watch_keys import new_secret, parse_secret
from supplyguard.cli.context import open_container, operator, out_console
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.services.sharing_correlate import correlate_intel
from supplyguard.services.sharing_disclosures import decide_disclosure, list_disclosures, request_disclosure
from supplyguard.services.sharing_feed import export_bundle, list_intel, show_intel
from supplyguard.services.sharing_ingest import MAX_OBJECTS_PER_CALL, import_bundle
from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_partners import (
    PartnerInput,
    list_agreements,
    list_partners,
    register_agreement,
    register_partner,
    set_partner_status,
)
from supplyguard.services.sharing_publish import delete_object, preview_recipients, publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.services.sharing_sync import collection_id_for, run_sync
from supplyguard.services.sharing_watch import (
    MAX_ENTRIES_PER_CALL,
    WatchEntryInput,
    add_watch_entries,
    identify_incoming,
    install_watch_secret,
    list_watch_entries,
    list_watch_matches,
    publish_watch_list,
    pull_watch_lists,
    remove_watch_entry,
    watch_status,
)
from supplyguard.services.sharing_witness import run_witness
from supplyguard.sharing.bundle_stream import DEFAULT_MAX_OBJECT_BYTES

partners_app = typer.Typer(help="Partner nodes and sharing agreements.", no_args_is_help=True)
intel_app = typer.Typer(help="Shared intelligence: publish, list, show, export.", no_args_is_help=True)
sync_app = typer.Typer(help="Pull intelligence from partners (TAXII 2.1).", no_args_is_help=True)
watchlist_app = typer.Typer(
    help="Keyed watch lists: ours, published to partners as keyed hashes, theirs pulled and matched.",
    no_args_is_help=True,
)
intel_app.add_typer(watchlist_app, name="watchlist")

OrgOption = typer.Option(None, "--org", help="Organisation acting (needed when the node has several).")


def _read_file(path: Path) -> str:
    if not path.is_file():
        raise ValidationFailed([FieldError(("FILE",), f"{path} is not a readable file")])
    return path.read_text(encoding="utf-8")


@partners_app.command("add")
def partners_add(
    node_id: str = typer.Argument(..., help="The partner's node id, as its agreements name it."),
    name: str = typer.Option(..., help="The partner's name."),
    public_key: str = typer.Option(..., "--public-key", help="Its Ed25519 public key (hex or base64)."),
    country: str = typer.Option(None, help="ISO 3166-1 alpha-2 country."),
    url: str = typer.Option(None, "--url", help="Base URL of its node (for `sync run`)."),
    user: str = typer.Option(None, "--user", help="Local user (role partner) it authenticates as."),
    token: str = typer.Option(None, "--token", help="Bearer token it issued to us for its TAXII feed."),
    ledger_key: str = typer.Option(
        None, "--ledger-key", help="Its ledger verifier key (`supplyguard ledger pubkey` on its node)."
    ),
    org: str = OrgOption,
) -> None:
    """Register a partner node (its key exchanged out of band)."""
    with open_container() as container:
        actor = operator(container, org)
        partner = register_partner(
            container.uow(),
            container.clock,
            actor,
            PartnerInput(node_id, name, public_key, country, url, None, user, ledger_key),
        )
        if token:
            save_partner_token(container.settings.keys_dir, node_id, token)
    out_console.print(f"partner {partner.node_id} registered (key {partner.key_id})")


@partners_app.command("list")
def partners_list(org: str = OrgOption) -> None:
    """Partners with their sync state and verification failures."""
    with open_container() as container:
        partners = list_partners(container.uow(readonly=True), operator(container, org))
    for p in partners:
        synced = p.last_sync_at.isoformat() if p.last_sync_at else "never"
        out_console.print(
            f"{p.node_id:20} {p.status:9} position {p.last_sync_position:<8} last sync {synced}  "
            f"failures {p.verification_failures}  {p.base_url or '-'}",
            highlight=False,
        )


@partners_app.command("suspend")
def partners_suspend(node_id: str = typer.Argument(...), org: str = OrgOption) -> None:
    """Suspend a partner: its feed closes and nothing it sends is accepted."""
    with open_container() as container:
        set_partner_status(container.uow(), container.clock, operator(container, org), node_id, "suspended")
    out_console.print(f"partner {node_id} suspended")


@partners_app.command("activate")
def partners_activate(node_id: str = typer.Argument(...), org: str = OrgOption) -> None:
    with open_container() as container:
        set_partner_status(container.uow(), container.clock, operator(container, org), node_id, "active")
    out_console.print(f"partner {node_id} active")


@partners_app.command("agreement")
def partners_agreement(
    file: Path = typer.Argument(..., help="Agreement YAML file."), org: str = OrgOption
) -> None:
    """Register (or replace) a sharing agreement from its YAML file."""
    text = _read_file(file)
    with open_container() as container:
        agreement = register_agreement(
            container.uow(), container.clock, operator(container, org), sharing_node(container), text
        )
    out_console.print(f"agreement {agreement.agreement_id} registered")


@partners_app.command("agreements")
def partners_agreements(org: str = OrgOption) -> None:
    with open_container() as container:
        records = list_agreements(container.uow(readonly=True), operator(container, org))
    for record in records:
        out_console.print(f"{record.agreement_id:30} {record.version[:12]}  {record.title}")


@partners_app.command("whoami")
def partners_whoami() -> None:
    """This node's id, public key and collection id: what partners need to register it."""
    with open_container() as container:
        node = sharing_node(container)
        whoami = {
            "node_id": node.node_id,
            "public_key": node.key.public_key_raw.hex(),
            "key_id": node.key.key_id,
            "author_ref": node.author_ref,
            "ledger_key": container.signer.vkey,
            "collection_id": collection_id_for(node.node_id),
        }
    sys.stdout.write(json.dumps(whoami, indent=2) + "\n")


def _load_spec(file: Path) -> dict[str, Any]:
    text = _read_file(file)
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ValidationFailed([FieldError(("FILE",), f"not valid YAML/JSON: {error}")]) from error
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError(("FILE",), "a mapping describing one object")])
    return data


@intel_app.command("publish")
def intel_publish(
    file: Path = typer.Argument(..., help="YAML or JSON describing the object (see docs/sharing.md)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show who would receive what."),
    org: str = OrgOption,
) -> None:
    """Sign and share one object; prints, per partner, what it receives and why."""
    spec = _load_spec(file)
    with open_container() as container:
        actor = operator(container, org)
        node = sharing_node(container)
        stix = build_from_spec(spec, node.author_ref, container.clock.now())
        if dry_run:
            decisions = preview_recipients(container.uow(readonly=True), actor, node, stix)
        else:
            result = publish_object(container.uow(), actor, node, stix)
            decisions = result.decisions
            out_console.print(
                f"published {result.held.stix_id} version {result.held.version}", highlight=False
            )
    for decision in decisions:
        out_console.print(
            f"{decision.recipient:20} {decision.outcome.value:9} {decision.reasons[0]}", highlight=False
        )
        for reason in decision.reasons[1:]:
            out_console.print(f"{'':31}{reason}")


@intel_app.command("list")
def intel_list(
    type_: str = typer.Option(None, "--type", help="Only this STIX type."),
    limit: int = typer.Option(100, min=1, max=1000),
    org: str = OrgOption,
) -> None:
    """Current objects held (own and received), oldest first."""
    with open_container() as container:
        rows, _ = list_intel(
            container.uow(readonly=True),
            operator(container, org),
            types=[type_] if type_ else [],
            limit=limit,
        )
    for held in rows:
        source = f"from {held.received_from}" if held.received_from else "ours"
        name = held.wire.get("name") or held.wire.get("abstract") or ""
        out_console.print(
            f"{held.position:>6} {held.stix_id} {(held.tlp or '-').upper():12} {source:18} {name}",
            highlight=False,
        )


@intel_app.command("show")
def intel_show(object_id: str = typer.Argument(...), org: str = OrgOption) -> None:
    """One object (JSON, with its author's signature), its recipients and the feedback on it."""
    with open_container() as container:
        detail = show_intel(container.uow(readonly=True), operator(container, org), object_id)
    body = {
        "object": detail.held.wire,
        "position": detail.held.position,
        "received_from": detail.held.received_from,
        "versions": detail.versions,
        "deliveries": detail.deliveries,
        "feedback": detail.feedback,
    }
    sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")


@intel_app.command("matches")
def intel_matches(
    object_id: list[str] = typer.Argument(None, help="Only these objects (default: everything received)."),
    org: str = OrgOption,
) -> None:
    """Received intelligence that matches this organisation's declarations, with the reasons."""
    with open_container() as container:
        matches = correlate_intel(container.uow(readonly=True), operator(container, org), object_id or ())
    for found in matches:
        out_console.print(f"{found.match.record_id:24} {found.object_id}  {found.reason}")
    if not matches:
        out_console.print("no received intelligence matches a declaration")


@intel_app.command("delete")
def intel_delete(
    object_id: str = typer.Argument(...),
    reason: str = typer.Option(..., help="Why it is withdrawn (travels with the tombstone)."),
    org: str = OrgOption,
) -> None:
    """Withdraw one of our objects: a signed tombstone goes to everyone who received it."""
    with open_container() as container:
        delete_object(container.uow(), operator(container, org), sharing_node(container), object_id, reason)
    out_console.print(f"deleted {object_id}")


@intel_app.command("disclosures")
def intel_disclosures(
    status: str = typer.Option(None, help="open, approved or refused"), org: str = OrgOption
) -> None:
    """Disclosure requests: those we made (outgoing) and those partners made to us (incoming)."""
    with open_container() as container:
        records = list_disclosures(container.uow(readonly=True), operator(container, org), status)
        ours = identify_incoming(container.uow(readonly=True), container.settings.keys_dir, records)
    for r in records:
        out_console.print(
            f"{r.id} {r.direction:8} {r.partner_node:16} {r.status:8} {r.kind}:{r.digest[:12]}… {r.reason}",
            highlight=False,
        )
        for entry in ours.get(r.id, ()):
            out_console.print(f"{'':38}our watch list: {entry}", highlight=False)
        if r.answer:
            out_console.print(f"{'':38}answer: {r.answer}", highlight=False)
    if not records:
        out_console.print("no disclosure requests")


@intel_app.command("ask")
def intel_ask(
    partner: str = typer.Argument(..., help="The partner whose keyed list held the digest."),
    agreement: str = typer.Option(..., help="The agreement the lists were keyed under."),
    kind: str = typer.Option(..., help="container, imo, eori, tax_id, party_name, flight, truck_plate"),
    digest: str = typer.Option(..., help="The keyed digest both lists hold (hex)."),
    reason: str = typer.Option(..., help="Why you ask."),
    org: str = OrgOption,
) -> None:
    """After a keyed watch-list hit: ask the partner to disclose what it holds (a signed note)."""
    with open_container() as container:
        record = request_disclosure(
            container.uow(),
            operator(container, org),
            sharing_node(container),
            partner=partner,
            agreement_id=agreement,
            kind=kind,
            digest=digest,
            reason=reason,
        )
    out_console.print(f"asked {partner}: request {record.id}", highlight=False)


@intel_app.command("disclose")
def intel_disclose(
    request_id: str = typer.Argument(..., help="An incoming request's id (intel disclosures)."),
    approve: bool = typer.Option(..., "--approve/--refuse", help="Disclose, or refuse."),
    answer: str = typer.Option(..., help="What you disclose, or why you refuse."),
    org: str = OrgOption,
) -> None:
    """Decide an incoming disclosure request; the answer goes signed to the requester alone."""
    try:
        disclosure_id = uuid.UUID(request_id)
    except ValueError as error:
        raise ValidationFailed([FieldError(("REQUEST_ID",), "a request id (a UUID)")]) from error
    with open_container() as container:
        record = decide_disclosure(
            container.uow(),
            operator(container, org),
            sharing_node(container),
            disclosure_id,
            approve=approve,
            answer=answer,
        )
    out_console.print(f"{record.status} request {record.id} of {record.partner_node}", highlight=False)


@intel_app.command("export")
def intel_export(
    fmt: str = typer.Option("stix", "--format", help="stix: one STIX 2.1 bundle."), org: str = OrgOption
) -> None:
    """Print one STIX 2.1 bundle of everything this node holds (signatures included)."""
    if fmt != "stix":
        raise ValidationFailed([FieldError(("--format",), "only stix is supported")])
    with open_container() as container:
        bundle = export_bundle(container.uow(readonly=True), operator(container, org))
    sys.stdout.write(json.dumps(bundle, ensure_ascii=False) + "\n")


@intel_app.command("import")
def intel_import(
    file: Path = typer.Argument(..., help="A STIX 2.1 bundle (JSON), of any size: it is read as a stream."),
    sender: str = typer.Option(..., "--from", help="The partner node the bundle came from."),
    chunk: int = typer.Option(
        1000, "--chunk", min=1, max=MAX_OBJECTS_PER_CALL, help="Objects per transaction."
    ),
    max_object_bytes: int = typer.Option(
        DEFAULT_MAX_OBJECT_BYTES,
        "--max-object-bytes",
        min=2,
        help="Refuse any single object larger than this.",
    ),
    org: str = OrgOption,
) -> None:
    """Import a partner's bundle: every object verified (signature, fields, agreement) as on sync.

    The file is parsed one object at a time and stored a chunk at a time, so memory stays bounded;
    a malformed bundle or an oversized object stops the import with a message (chunks already
    stored stay, and importing the file again stores only what is missing)."""
    if not file.is_file():
        raise ValidationFailed([FieldError(("FILE",), f"{file} is not a readable file")])
    with open_container() as container:
        actor = operator(container, org)
        with file.open(encoding="utf-8") as source:
            report = import_bundle(
                container.uow,
                actor,
                sharing_node(container),
                sender,
                source,
                chunk_objects=chunk,
                max_object_bytes=max_object_bytes,
            )
    sys.stdout.write(json.dumps(report.as_dict()) + "\n")


@watchlist_app.command("add")
def watchlist_add(
    kind: str = typer.Argument(..., help="container, imo, eori, tax_id, party_name, flight, truck_plate"),
    value: str = typer.Argument(..., help="The identifier as written (canonicalised before keying)."),
    reference: str = typer.Option(..., help="The local case or file it comes from (never sent)."),
    country: str = typer.Option(None, help="Issuing country (tax ids, truck plates)."),
    org: str = OrgOption,
) -> None:
    """Put one identifier on our watch list (it stays here; partners get only its keyed hash)."""
    with open_container() as container:
        added = add_watch_entries(
            container.uow(),
            sharing_node(container),
            operator(container, org),
            [WatchEntryInput(kind, value, reference, country)],
        )
    for entry in added.added:
        out_console.print(f"watching {entry.kind} {entry.canonical} ({entry.id})", highlight=False)
    if added.already_listed:
        out_console.print("already on the watch list")


def _file_line(error: FieldError) -> FieldError:
    where = error.location
    if len(where) >= 2 and isinstance(where[1], int):
        return FieldError(("line", where[1] + 2, *where[2:]), error.message)
    return error


@watchlist_app.command("import")
def watchlist_import(
    file: Path = typer.Argument(..., help="CSV with a header: kind,value,reference[,country]."),
    org: str = OrgOption,
) -> None:
    """Put many identifiers on our watch list from a CSV file (all or none: a bad row stores nothing)."""
    rows = list(csv.DictReader(io.StringIO(_read_file(file))))
    if not rows or not {"kind", "value", "reference"} <= set(rows[0]):
        raise ValidationFailed(
            [FieldError(("FILE",), "a CSV with the columns kind, value, reference[, country]")]
        )
    if len(rows) > MAX_ENTRIES_PER_CALL:
        raise ValidationFailed(
            [FieldError(("FILE",), f"at most {MAX_ENTRIES_PER_CALL} rows per file; split it")]
        )
    entries = [
        WatchEntryInput(r["kind"] or "", r["value"] or "", r["reference"] or "", r.get("country") or None)
        for r in rows
    ]
    with open_container() as container:
        try:
            added = add_watch_entries(
                container.uow(), sharing_node(container), operator(container, org), entries
            )
        except ValidationFailed as error:  # name the file's lines, not the list's positions
            raise ValidationFailed([_file_line(e) for e in error.errors]) from error
    out_console.print(f"{len(added.added)} added, {added.already_listed} already on the watch list")


@watchlist_app.command("list")
def watchlist_list(org: str = OrgOption) -> None:
    """Our watch list, and the keyed lists published to partners and received from them."""
    with open_container() as container:
        actor = operator(container, org)
        entries = list_watch_entries(container.uow(readonly=True), actor)
        status = watch_status(container.uow(readonly=True), actor)
    for e in entries:
        out_console.print(f"{e.id} {e.kind:11} {e.canonical:24} {e.reference}", highlight=False)
    for r in status.published:
        out_console.print(
            f"published for {r.node:16} under {r.agreement_id}: {r.digest_count} digests, key {r.key_id}, "
            f"{r.published_at.isoformat()}",
            highlight=False,
        )
    for r in status.received:
        out_console.print(
            f"received from {r.node:16} under {r.agreement_id}: {r.digest_count} digests, key {r.key_id}, "
            f"signed {r.published_at.isoformat()}",
            highlight=False,
        )
    if not entries:
        out_console.print("the watch list is empty")


@watchlist_app.command("remove")
def watchlist_remove(
    entry_id: str = typer.Argument(..., help="The entry's id (watchlist list)."), org: str = OrgOption
) -> None:
    """Take an identifier off our watch list (partners stop seeing it at the next publish)."""
    try:
        parsed = uuid.UUID(entry_id)
    except ValueError as error:
        raise ValidationFailed([FieldError(("ENTRY_ID",), "an entry id (a UUID)")]) from error
    with open_container() as container:
        remove_watch_entry(container.uow(), sharing_node(container), operator(container, org), parsed)
    out_console.print(f"removed {entry_id}")


@watchlist_app.command("key")
def watchlist_key(
    agreement: str = typer.Argument(..., help="The agreement the secret is for."),
    generate: bool = typer.Option(False, "--generate", help="Make a new secret and print it once (hex)."),
    from_file: Path = typer.Option(None, "--from-file", help="Install the secret a party handed over (hex)."),
    org: str = OrgOption,
) -> None:
    """Install (or rotate) the agreement's watch-list secret; every party must hold the same one."""
    if generate == (from_file is not None):
        raise ValidationFailed([FieldError(("--generate",), "give exactly one of --generate or --from-file")])
    secret = new_secret() if generate else parse_secret(_read_file(from_file))
    with open_container() as container:
        key_id = install_watch_secret(
            container.uow(),
            sharing_node(container),
            operator(container, org),
            container.settings.keys_dir,
            agreement,
            secret,
        )
    if generate:
        sys.stdout.write(secret.hex() + "\n")
        out_console.print("hand this secret to the other parties out of band; it is not shown again")
    out_console.print(f"agreement {agreement}: watch-list key {key_id}", highlight=False)


@watchlist_app.command("publish")
def watchlist_publish(
    agreement: str = typer.Argument(..., help="Key the list under this agreement."), org: str = OrgOption
) -> None:
    """Key our watch list for each partner the agreement names, sign it; they fetch it on their pull."""
    with open_container() as container:
        published = publish_watch_list(
            container.uow(),
            operator(container, org),
            sharing_node(container),
            container.settings.keys_dir,
            agreement,
        )
    for p in published:
        sys.stdout.write(json.dumps(p.as_dict()) + "\n")


@watchlist_app.command("pull")
def watchlist_pull(
    partner: str = typer.Argument(None, help="One partner node id (default: every partner with a URL)."),
    org: str = OrgOption,
) -> None:
    """Fetch partners' keyed lists, verify them, match them against our data; hits open requests."""
    with open_container() as container:
        results = pull_watch_lists(container, operator(container, org), partner)
    for result in results:
        sys.stdout.write(json.dumps(result.as_dict()) + "\n")
    if any(result.error for result in results):
        sys.exit(1)


@watchlist_app.command("matches")
def watchlist_matches(org: str = OrgOption) -> None:
    """Our records that a partner's keyed list also holds, with the disclosure request each opened."""
    with open_container() as container:
        matches = list_watch_matches(container.uow(readonly=True), operator(container, org))
    for m in matches:
        asked = f"request {m.disclosure_id}" if m.disclosure_id else (m.note or "no request yet")
        out_console.print(f"{m.partner_node:16} {m.kind:11} {m.local_ref:40} {asked}", highlight=False)
    if not matches:
        out_console.print("no keyed watch-list hit")


@sync_app.command("run")
def sync_run(
    partner: str = typer.Argument(None, help="One partner node id (default: every partner with a URL)."),
    every: float = typer.Option(
        None,
        "--every",
        min=1.0,
        help="Keep syncing, every SECONDS (until interrupted); a partner that is "
        "down is retried on the next round and catches up from its last committed page.",
    ),
    watchlists: bool = typer.Option(
        False,
        "--watchlists",
        help="Also pull partners' keyed watch lists and match them (as `intel watchlist pull`).",
    ),
    org: str = OrgOption,
) -> None:
    """Pull new intelligence from partners; resumes where the last committed page ended."""
    with open_container() as container:
        actor = operator(container, org)
        while True:
            results = run_sync(container, actor, partner)
            failed = False
            for result in results:
                sys.stdout.write(json.dumps(result.as_dict()) + "\n")
                failed = failed or result.error is not None
            for pulled in pull_watch_lists(container, actor, partner) if watchlists else []:
                sys.stdout.write(json.dumps({"watchlist": pulled.as_dict()}) + "\n")
                failed = failed or pulled.error is not None
            if every is None:
                break
            time.sleep(every)
    if failed:
        sys.exit(1)


@sync_app.command("witness")
def sync_witness(
    partner: str = typer.Argument(
        None, help="One partner node id (default: every partner with a ledger key)."
    ),
) -> None:
    """Fetch partners' ledger checkpoints, check consistency with the last one seen, cosign, keep."""
    with open_container() as container:
        results = run_witness(container, partner)
    for result in results:
        sys.stdout.write(json.dumps(result.as_dict()) + "\n")
    if any(result.outcome in ("fork", "unreachable") for result in results):
        sys.exit(8 if any(result.outcome == "fork" for result in results) else 1)
