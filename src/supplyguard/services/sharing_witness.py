"""Witnessing partners' ledgers: fetch their signed checkpoint, check it extends what we saw, cosign, keep.

A partner that rewrites or forks its history is caught: two different roots signed at one size,
a checkpoint smaller than one already witnessed, or a consistency proof that does not lead from
the root we kept to the new one. Each is recorded against the partner (``sharing_rejections``,
check ``fork``) and nothing is stored; the evidence (both signed notes) is in the detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from supplyguard.adapters.db.sharing_repo import Rejection, SharingRepository, WitnessedCheckpoint
from supplyguard.adapters.http import http_client, is_plain_http
from supplyguard.adapters.sharing_keys import load_partner_token
from supplyguard.errors import FieldError, ValidationFailed, VerificationFailed
from supplyguard.ledger import (
    add_signatures,
    cosign_checkpoint,
    open_checkpoint,
    parse_consistency_bundle,
    parse_vkey,
    verify_consistency_bundle,
)
from supplyguard.logging import get_logger
from supplyguard.services.sharing_node import SharingNode, sharing_node
from supplyguard.services.sharing_requests import NodeRequestAuth

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class WitnessResult:
    partner: str
    tree_size: int | None
    outcome: str  # "first", "advanced", "unchanged", "stale", "fork", "unreachable"
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "tree_size": self.tree_size,
            "outcome": self.outcome,
            "detail": self.detail,
        }


def _get(client: httpx.Client, url: str, params: dict[str, int] | None = None) -> httpx.Response:
    response = client.get(url, params=params)
    if response.status_code != 200:
        raise httpx.HTTPStatusError(
            f"answered {response.status_code}", request=response.request, response=response
        )
    return response


def witness_partner(
    uow_factory: Any,
    node: SharingNode,
    partner_node: str,
    *,
    token: str | None,
    transport: httpx.BaseTransport | None = None,
    timeout_s: float = 30.0,
) -> WitnessResult:
    """Fetch, verify and cosign ``partner_node``'s latest ledger checkpoint; report a fork."""
    with uow_factory(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        partner = repo.partner(partner_node)
        previous = repo.latest_witnessed(partner_node)
    if partner is None or not partner.base_url or not partner.ledger_vkey:
        raise ValidationFailed(
            [FieldError(("partner",), f"{partner_node} needs a base URL and a ledger verifier key")]
        )
    verifier = parse_vkey(partner.ledger_vkey)
    now = node.clock.now()
    try:
        with http_client(
            plain_http=is_plain_http(partner.base_url),
            auth=NodeRequestAuth(node, token),
            transport=transport,
            timeout=timeout_s,
        ) as client:
            note = _get(client, f"{partner.base_url}/v1/ledger/checkpoint").text
            opened = open_checkpoint(note, [verifier])
            size, root = opened.checkpoint.size, opened.checkpoint.root_hash
            if previous is not None and size < previous.tree_size:
                return WitnessResult(
                    partner_node, size, "stale", f"size {size} is below the witnessed {previous.tree_size}"
                )
            if previous is not None and size == previous.tree_size:
                if root == previous.root_hash:
                    return WitnessResult(partner_node, size, "unchanged", "same checkpoint as last time")
                raise VerificationFailed(
                    f"two different roots signed at size {size}: the log was forked or rewritten; "
                    f"kept:\n{previous.note}\nnow:\n{note}"
                )
            if previous is not None:
                bundle = parse_consistency_bundle(
                    _get(
                        client,
                        f"{partner.base_url}/v1/ledger/proof/consistency",
                        {"first": previous.tree_size, "second": size},
                    ).text
                )
                verify_consistency_bundle(bundle, [verifier])
                if bundle.first_root != previous.root_hash:
                    raise VerificationFailed(
                        f"the log's tree at size {previous.tree_size} is not the one we witnessed: "
                        "it was rewritten"
                    )
                if open_checkpoint(bundle.second_checkpoint, [verifier]).checkpoint.root_hash != root:
                    raise VerificationFailed(
                        f"the consistency proof ends at another root than the checkpoint at {size}"
                    )
    except httpx.HTTPError as error:
        return WitnessResult(partner_node, None, "unreachable", f"{type(error).__name__}: {error}")
    except VerificationFailed as error:
        uow = uow_factory()
        with uow:
            SharingRepository(uow.connection).record_rejection(
                Rejection(partner_node, f"ledger:{partner_node}", "fork", error.message, now)
            )
            uow.commit()
        log.warning("witness.fork", partner=partner_node)
        return WitnessResult(partner_node, None, "fork", error.message)
    cosignature = cosign_checkpoint(note, node.ledger_signer, int(now.timestamp()))
    uow = uow_factory()
    with uow:
        SharingRepository(uow.connection).add_witnessed(
            WitnessedCheckpoint(partner_node, size, root, add_signatures(note, [cosignature]), now)
        )
        uow.commit()
    outcome = "first" if previous is None else "advanced"
    detail = (
        "first checkpoint witnessed" if previous is None else f"consistent from size {previous.tree_size}"
    )
    return WitnessResult(partner_node, size, outcome, detail)


def run_witness(container: Any, partner_node: str | None = None) -> list[WitnessResult]:
    """Witness one partner, or every active partner with a URL and a ledger key."""
    node = sharing_node(container)
    with container.uow(readonly=True) as uow:
        partners = SharingRepository(uow.connection).partners()
    targets = [
        p.node_id
        for p in partners
        if p.status == "active" and p.base_url and p.ledger_vkey and partner_node in (None, p.node_id)
    ]
    if partner_node is not None and not targets:
        raise ValidationFailed(
            [FieldError(("partner",), f"{partner_node} is not an active partner with a URL and a ledger key")]
        )
    return [
        witness_partner(
            container.uow, node, target, token=load_partner_token(container.settings.keys_dir, target)
        )
        for target in targets
    ]
