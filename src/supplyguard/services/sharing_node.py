"""What every sharing use case needs: this node's identity and key, who may do what, partners' keys.

:class:`SharingNode` is built once per container (:func:`sharing_node`) from the settings: the node
id is ``settings.node_name``, the object-signing key lives in ``settings.keys_dir``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from supplyguard.adapters.db.sharing_repo import HeldObject, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.adapters.sharing_keys import load_or_create_sharing_key
from supplyguard.ledger import Ed25519Signer
from supplyguard.model.clock import Clock
from supplyguard.services.ledger_records import LedgerRecord
from supplyguard.sharing import (
    Agreement,
    Keyring,
    SigningKey,
    TrustedKey,
    parse_agreement,
)


@dataclass(frozen=True, slots=True)
class SharingNode:
    """This node as its partners know it: node id, STIX identity, signing key, ledger signer, clock."""

    node_id: str
    key: SigningKey
    ledger_signer: Ed25519Signer
    clock: Clock

    @property
    def author_ref(self) -> str:
        return self.key.author_ref


def sharing_node(container: Any) -> SharingNode:
    """The container's :class:`SharingNode` (the key file is read or created once, then cached)."""
    cached = container.extras.get("sharing_node")
    if cached is None:
        settings = container.settings
        key = load_or_create_sharing_key(settings.keys_dir, settings.node_name)
        cached = SharingNode(settings.node_name, key, container.signer, container.clock)
        container.extras["sharing_node"] = cached
    node: SharingNode = cached
    return node


def keyring_of(repo: SharingRepository, node: SharingNode) -> Keyring:
    """Our own key and every active partner's pinned key (never a key learned from traffic)."""
    keys = [node.key.trusted()]
    for partner in repo.partners():
        if partner.status == "active":
            keys.append(TrustedKey.from_public_bytes(partner.node_id, partner.author_ref, partner.public_key))
    return Keyring(keys)


@lru_cache(maxsize=128)
def _parsed_agreement(yaml_text: str) -> Agreement:
    return parse_agreement(yaml_text)


def agreements_of(repo: SharingRepository) -> list[Agreement]:
    """The registered agreements, parsed (parses are cached by text: agreements are frozen values)."""
    return [_parsed_agreement(record.yaml_text) for record in repo.agreements()]


def agreement_named(repo: SharingRepository, agreement_id: str) -> Agreement | None:
    """The registered agreement ``agreement_id``, parsed, or None."""
    return next((a for a in agreements_of(repo) if a.agreement_id == agreement_id), None)


def intel_record(kind: str, held: HeldObject, node: SharingNode, extra: dict[str, Any]) -> LedgerRecord:
    """The ledger leaf of one object version published or received (``intel.published``/``received``)."""
    body = {
        "stix_id": held.stix_id,
        "type": held.stix_type,
        "version": held.version,
        "author": held.author_ref,
        "content_hash": held.content_hash,
        "position": held.position,
        **extra,
    }
    return LedgerRecord(
        kind=kind,
        record_id=held.stix_id[:128],
        org=node.node_id[:64],
        recorded_at=held.stored_at,
        body=body,
        # ASCII keys; strings and a log position (a small int): the simple canonical shape, unless
        # a caller's extra values are anything but strings or None.
        known_simple=all(type(value) is str or value is None for value in extra.values()),
    )


def sign_if_appended(uow: SqlUnitOfWork, node: SharingNode, at: datetime) -> None:
    """Sign a checkpoint at the new tree size (one per appending transaction)."""
    if uow.ledger.size() > 0:
        uow.ledger.sign_checkpoint(node.ledger_signer, at)
