"""Appending records to the node's Merkle log inside the caller's unit of work, and signing checkpoints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supplyguard.adapters.db.ledger_store import StoredCheckpoint
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.ledger import Ed25519Signer, LeafEnvelope
from supplyguard.model.canonical import canonical_sha256
from supplyguard.model.clock import Clock, iso_utc


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """A row that matters, as the ledger sees it: the body is hashed, never stored in the log."""

    kind: str
    record_id: str
    org: str
    recorded_at: datetime
    body: dict[str, Any]
    known_simple: bool = False

    def envelope(self) -> LeafEnvelope:
        return LeafEnvelope(
            kind=self.kind,
            id=self.record_id,
            org=self.org,
            recorded_at=iso_utc(self.recorded_at),
            body_sha256=canonical_sha256(self.body, known_simple=self.known_simple),
        )


def append_records(uow: SqlUnitOfWork, records: Sequence[LedgerRecord]) -> list[int]:
    if not records:
        return []
    return uow.ledger.append_many([record.envelope() for record in records])


def append_record(
    uow: SqlUnitOfWork, kind: str, record_id: str, org: str, recorded_at: datetime, body: dict[str, Any]
) -> int:
    return append_records(uow, [LedgerRecord(kind, record_id, org, recorded_at, body)])[0]


def sign_tree_head(uow: SqlUnitOfWork, signer: Ed25519Signer, clock: Clock) -> StoredCheckpoint | None:
    """Sign and store a checkpoint at the current tree size (one per appending transaction)."""
    if uow.ledger.size() == 0:
        return None
    return uow.ledger.sign_checkpoint(signer, clock.now())
