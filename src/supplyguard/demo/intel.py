"""The demo's shared intelligence: the two customs administrations and the carrier, under an agreement.

The demo runs one node (the Netherlands customs, ``SUPPLYGUARD_NODE_NAME``). Its partners are
stood in for in-process: Korea Customs (``customs-kr``) and Oceanic Container Lines
(``carrier-oceanic``), each with a fixed demo Ed25519 key (derived from its node id: a demo key, not
a secret), registered as partners with an agreement binding all three
(``cmaa-nl-kr-oceanic-demo``). Then, through the real services:

1. Korea Customs reports a **seizure** whose consignee is one of the demo's Dutch importers, and
   names that importer as a **suspect consignee**; both are signed by Korea's key and ingested as
   a sync would (verified, re-checked against the agreement, ledger leaves) — and the importer's
   open declarations are raised in the queue with the reason
   ``importer on partner watch list (seizure reported by customs-kr)``;
2. the Dutch node publishes a **suspect-shipment alert** on that importer's container: Korea
   receives it whole, the carrier a **redacted** copy without the consignee's name (personal data
   it may not receive), still verifiable against the author's signature;
3. Korea reports back that it **seized** the goods (a signed feedback note);
4. **keyed watch lists**: both customs administrations hold the agreement's demo secret; the Dutch
   node watches the alert's container and publishes its keyed list, Korea's keyed list (the same
   container, and one the Dutch hold nothing on) is received as a pull would receive it, and the
   overlap is one hit (one digest, on the watch list and on the declaration carrying it) that
   opens one disclosure request to Korea (``/intel/watchlist``).

The intelligence pages (``/intel``) then show received and shared intelligence, the carrier's
redacted copy and the partners' status.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.adapters.sharing_keys import node_author_ref
from supplyguard.bootstrap import Container
from supplyguard.demo.world import DemoWorld
from supplyguard.model.organisations import Principal
from supplyguard.services.sharing_ingest import FEEDBACK_PREFIX, ingest_objects
from supplyguard.services.sharing_node import sharing_node
from supplyguard.services.sharing_partners import PartnerInput, register_agreement, register_partner
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.services.sharing_watch import (
    WatchEntryInput,
    accept_watch_list,
    add_watch_entries,
    install_watch_secret,
    publish_watch_list,
)
from supplyguard.sharing import (
    Authoring,
    IdentifierKind,
    KeyedWatchList,
    NoteInfo,
    SigningKey,
    Tlp,
    build_note,
    sign_object,
    watch_list_key_id,
)
from supplyguard.sharing.keyed import keyed_digest
from supplyguard.sharing.watch_exchange import list_key, sign_watch_list

NL_ORG = "Netherlands Customs (demo)"
AGREEMENT = """
id: cmaa-nl-kr-oceanic-demo
title: Customs mutual assistance NL-KR, with alerts to Oceanic Container Lines (demo)
legal_basis: >-
  Agreement between the Netherlands and the Republic of Korea on mutual administrative assistance
  in customs matters, arts. 4-7; memorandum of understanding with Oceanic Container Lines (demo)
parties:
  - {node: "{node}", name: Netherlands Customs (demo), country: NL}
  - {node: customs-kr, name: Korea Customs (demo), country: KR}
  - {node: carrier-oceanic, name: Oceanic Container Lines (demo), country: SG}
purposes: [risk-targeting, enforcement, investigation]
valid_from: 2026-01-01
valid_until: 2028-12-31
retention_days: 730
onward_transfer: parties
recipients:
  "{node}":
    max_tlp: amber+strict
    objects: {"*": all}
  customs-kr:
    max_tlp: amber+strict
    objects: {"*": all}
  carrier-oceanic:
    max_tlp: amber
    purposes: [risk-targeting]
    retention_days: 90
    personal_data: false
    objects:
      indicator:
        fields: [name, description, indicator_types, pattern, pattern_type, valid_from, valid_until,
                 "shipment.*"]
        exclude: [shipment.declaration_reference, shipment.consignee_eori]
      attack-pattern: all
"""
PARTNERS = (
    ("customs-kr", "Korea Customs (demo)", "KR"),
    ("carrier-oceanic", "Oceanic Container Lines (demo)", "SG"),
)


def demo_key(node_id: str) -> SigningKey:
    """A partner's fixed demo key (anyone can derive it: a demo, not a secret)."""
    seed = hashlib.sha256(f"supplyguard-demo-sharing-key/{node_id}".encode()).digest()
    return SigningKey.from_private_bytes(node_id, node_author_ref(node_id), seed)


def _target(world: DemoWorld) -> dict[str, Any] | None:
    """An open Dutch declaration to be flagged: one of the broker network's if any is open."""
    closed = {o.reference for o in world.outcomes.get(NL_ORG, [])}
    open_ones = [
        d for d in world.declarations.get(NL_ORG, []) if d["reference"] not in closed and d["containers"]
    ]
    network = [d for d in open_ones if d.get("declarant", {}).get("code", "").endswith("D99999")]
    candidates = network or open_ones
    return candidates[0] if candidates else None


AGREEMENT_ID = "cmaa-nl-kr-oceanic-demo"
KR_ONLY_CONTAINER = "MSKU9070323"  # on Korea's list only: no Dutch record holds it


def demo_watch_secret() -> bytes:
    """The agreement's watch-list secret in the demo (fixed and derivable: a demo, not a secret)."""
    return hashlib.sha256(f"supplyguard-demo-watch-secret/{AGREEMENT_ID}".encode()).digest()


def _signed(key: SigningKey, spec: dict[str, Any], now: datetime) -> dict[str, Any]:
    return sign_object(build_from_spec(spec, key.author_ref, now), key).to_stix()


def load_intel(
    container: Container, operator: Principal, world: DemoWorld, org_name: str, step: Callable[[str], None]
) -> None:
    """Run once, for the Dutch administration (the node's own): partners, agreement, intelligence."""
    if org_name != NL_ORG:
        return
    target = _target(world)
    if target is None:
        step("intelligence: no open declaration with a container to flag; sharing left out")
        return
    node = sharing_node(container)
    clock = container.clock
    now = clock.now()
    register_agreement(container.uow(), clock, operator, node, AGREEMENT.replace("{node}", node.node_id))
    for node_id, name, country in PARTNERS:
        key = demo_key(node_id)
        register_partner(
            container.uow(),
            clock,
            operator,
            PartnerInput(node_id, name, key.public_key_raw.hex(), country=country),
        )
    importer = target["importer"]["name"]
    container_number = target["containers"][0]
    kr = demo_key("customs-kr")
    seizure = _signed(
        kr,
        {
            "kind": "seizure",
            "tlp": "amber",
            "key": "demo-seizure-busan-1",
            "name": "Seizure of 38 kg methamphetamine in machine parts at Busan",
            "description": f"Concealed in hollow castings; the consignee {importer} is under investigation.",
            "seized_at": "2026-10-28T03:10:00Z",
            "concealment_method": "hollow machine castings",
            "shipment": {
                "consignee_name": importer,
                "consignee_country": "NL",
                "goods": [{"description": "machine parts", "hs_code": "848790", "net_mass_kg": 2400}],
            },
        },
        now,
    )
    suspect = _signed(
        kr,
        {
            "kind": "suspect-party",
            "tlp": "amber",
            "key": "demo-suspect-consignee-1",
            "name": importer,
            "roles": ["consignee"],
            "country": "NL",
            "description": "Consignee of the Busan seizure; further consignments expected via Rotterdam.",
        },
        now,
    )
    report = ingest_objects(container.uow(), node, "customs-kr", [seizure, suspect])
    with container.uow() as uow:
        SharingRepository(uow.connection).record_sync("customs-kr", 2, now)
        uow.commit()
    step(
        f"intelligence: {len(report.stored)} objects from customs-kr; "
        f"{report.signals} risk signals raised on open declarations of {importer}"
    )

    alert_spec = {
        "kind": "suspect-shipment",
        "tlp": "amber",
        "key": "demo-alert-1",
        "name": "Suspect consignment to Rotterdam: consignee named in a seizure at Busan",
        "risk_reasons": ["consignee named in a seizure reported by customs-kr"],
        "valid_from": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "shipment": {
            "container_numbers": [container_number],
            "consignee_name": importer,
            "declaration_reference": target["reference"],
            "hs_codes": [target["items"][0]["hs_code"]],
        },
    }
    published = publish_object(
        container.uow(), operator, node, build_from_spec(alert_spec, node.author_ref, now)
    )
    step(f"intelligence: alert shared with {', '.join(published.recipients)} (the carrier's copy redacted)")

    note = build_note(
        NoteInfo(
            content="Container examined on transshipment at Busan: 12 kg found in the same castings.",
            object_refs=(published.held.stix_id,),
            abstract=f"{FEEDBACK_PREFIX} seized",
        ),
        Authoring(kr.author_ref, now, tlp=Tlp.AMBER),
    )
    ingest_objects(container.uow(), node, "customs-kr", [sign_object(note, kr).to_stix()])

    _watch_lists(container, operator, node, container_number, step)


def _watch_lists(
    container: Container, operator: Principal, node: Any, container_number: str, step: Callable[[str], None]
) -> None:
    """Keyed watch lists under the demo agreement: the Dutch list published, Korea's received."""
    keys_dir = container.settings.keys_dir
    secret = demo_watch_secret()
    install_watch_secret(container.uow(), node, operator, keys_dir, AGREEMENT_ID, secret)
    add_watch_entries(
        container.uow(),
        node,
        operator,
        [WatchEntryInput("container", container_number, "alert demo-alert-1 (Busan seizure)")],
    )
    publish_watch_list(container.uow(), operator, node, keys_dir, AGREEMENT_ID)
    key = list_key(secret, AGREEMENT_ID)
    digests = frozenset(
        keyed_digest(key, IdentifierKind.CONTAINER, number)
        for number in (container_number, KR_ONLY_CONTAINER)
    )
    korea = sign_watch_list(
        demo_key("customs-kr"),
        KeyedWatchList(AGREEMENT_ID, watch_list_key_id(key), digests),
        node.node_id,
        container.clock.now(),
    )
    with container.uow(readonly=True) as uow:
        partner = next(p for p in SharingRepository(uow.connection).partners() if p.node_id == "customs-kr")
    result = accept_watch_list(container, operator, node, partner, korea)
    step(
        f"intelligence: keyed watch list from customs-kr ({result.digests} digests): "
        f"{result.hits} hits, {result.requests_opened} disclosure request opened"
    )
