"""Ledger use cases: checkpoints, proof bundles, and verifying the whole database against the log."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from supplyguard.adapters.db.ledger_store import StoredCheckpoint, StoredLeaf
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import LedgerRecordNotFound, ProofRequestInvalid
from supplyguard.ledger import ConsistencyBundle, Ed25519Signer, InclusionBundle
from supplyguard.model.canonical import canonical_sha256
from supplyguard.model.clock import Clock
from supplyguard.model.declarations import ledger_body, outcome_ledger_body
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.accounts import organisation_body, user_body
from supplyguard.services.audit import audit
from supplyguard.services.tracking_rules import LEDGER_KINDS as TRACKING_CONFIG_KINDS
from supplyguard.services.tracking_rules import ledger_rows as tracking_config_rows

MAX_LEAF_RANGE = 1000
#: The kinds of record the platform appends; a record id is looked up among them.
LEDGER_KINDS = (
    "declaration",
    "outcome",
    "config.organisation",
    "config.user",
    "party",
    "risk.rule",
    "screening.decision",
    "intel.published",
    "intel.received",
    "risk.rules",
    "risk.model",
    "risk.trust",
    "tracking.event",
    "resilience.network",
    "resilience.drill",
    *TRACKING_CONFIG_KINDS,
)


def sign_checkpoint_now(uow: SqlUnitOfWork, signer: Ed25519Signer, clock: Clock) -> StoredCheckpoint:
    """Sign a checkpoint at the current size (or return the one already signed there)."""
    with uow:
        stored = uow.ledger.sign_checkpoint(signer, clock.now())
        uow.commit()
    return stored


def latest_checkpoint(uow: SqlUnitOfWork) -> StoredCheckpoint:
    with uow:
        stored = uow.ledger.latest_checkpoint()
    if stored is None:
        raise ProofRequestInvalid("no checkpoint has been signed yet: the log is empty")
    return stored


def inclusion_bundle(
    uow: SqlUnitOfWork,
    *,
    record_id: str | None = None,
    index: int | None = None,
    size: int | None = None,
    kinds: tuple[str, ...] = LEDGER_KINDS,
) -> InclusionBundle:
    """Proof that a record (its latest leaf among ``kinds``) or leaf ``index`` is in the tree of a
    signed checkpoint (the latest one, or the one signed at ``size``)."""
    if (record_id is None) == (index is None):
        raise ProofRequestInvalid("name either a record id or a leaf index")
    with uow:
        if record_id is not None:
            leaves = uow.ledger.find_in_kinds(kinds, record_id)
            if not leaves:
                raise LedgerRecordNotFound(record_id)
            index = leaves[-1].index
        assert index is not None
        return uow.ledger.inclusion_bundle(index, size)


def consistency_bundle(uow: SqlUnitOfWork, first: int, second: int | None = None) -> ConsistencyBundle:
    with uow:
        return uow.ledger.consistency_bundle(first, second)


def leaf_range(uow: SqlUnitOfWork, start: int, end: int) -> list[StoredLeaf]:
    if start < 0 or end <= start:
        raise ProofRequestInvalid("need 0 <= start < end")
    if end - start > MAX_LEAF_RANGE:
        raise ProofRequestInvalid(f"at most {MAX_LEAF_RANGE} leaves per request")
    with uow:
        size = uow.ledger.size()
        if end > size:
            raise ProofRequestInvalid(f"end {end} is beyond the tree size {size}")
        return uow.ledger.leaves(start, end)


@dataclass
class VerifyReport:
    leaves: int = 0
    records_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _merge(
    kind: str,
    rows: Iterable[tuple[str, str]],
    leaves: Iterator[StoredLeaf],
    report: VerifyReport,
    removal_hash: Callable[[str], str] | None = None,
) -> None:
    """Walk rows (record id, body hash) and leaves of ``kind``, both sorted by record id. With
    ``removal_hash`` (record id -> the body hash of the leaf that records its removal), a record whose
    latest leaf records its removal may have no row."""
    pending: StoredLeaf | None = next(leaves, None)

    def gone(leaf: StoredLeaf) -> StoredLeaf | None:
        """The leaves of a record without a row: a problem unless the latest records the removal."""
        latest, following = leaf, next(leaves, None)
        while following is not None and following.record_id == leaf.record_id:
            latest, following = following, next(leaves, None)
        if removal_hash is None or latest.envelope.body_sha256 != removal_hash(latest.record_id):
            report.problems.append(
                f"{kind} {leaf.record_id} was deleted behind the ledger's back "
                f"(leaf {leaf.index} records it, the row is gone)"
            )
        return following

    def latest_for(record_id: str) -> StoredLeaf | None:
        nonlocal pending
        found = None
        while pending is not None and pending.record_id < record_id:
            pending = gone(pending)
        while pending is not None and pending.record_id == record_id:
            found = pending
            pending = next(leaves, None)
        return found

    for record_id, body_hash in rows:
        report.records_checked += 1
        leaf = latest_for(record_id)
        if leaf is None:
            report.problems.append(
                f"{kind} {record_id} was inserted behind the ledger's back (no leaf records it)"
            )
        elif leaf.envelope.body_sha256 != body_hash:
            report.problems.append(
                f"{kind} {record_id} was changed behind the ledger's back "
                f"(its body no longer hashes to what leaf {leaf.index} recorded)"
            )
    while pending is not None:
        pending = gone(pending)


def verify_database(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal | None,
    on_progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Recompute every body hash and the tree; name every row changed, deleted or inserted behind
    the ledger's back, and every break in the log itself."""
    if actor is not None:
        require(actor, Action.LEDGER_READ)
    step = on_progress or (lambda _message: None)
    report = VerifyReport()
    with uow:
        store = uow.ledger
        report.leaves = store.size()
        step("log")
        report.problems.extend(store.audit())
        step("declarations")
        _merge(
            "declaration",
            (
                (str(d.id), canonical_sha256(ledger_body(d), known_simple=True))
                for d in uow.declarations.iter_all()
            ),
            store.iter_kind("declaration"),
            report,
        )
        step("outcomes")
        _merge(
            "outcome",
            (
                (str(o.declaration_id), canonical_sha256(outcome_ledger_body(o), known_simple=True))
                for o in uow.declarations.iter_outcomes()
            ),
            store.iter_kind("outcome"),
            report,
        )
        step("organisations and users")
        orgs = sorted(uow.accounts.list_orgs(), key=lambda o: str(o.id))
        _merge(
            "config.organisation",
            ((str(o.id), canonical_sha256(organisation_body(o))) for o in orgs),
            store.iter_kind("config.organisation"),
            report,
        )
        users = sorted(uow.accounts.all_users(), key=lambda u: str(u.id))
        _merge(
            "config.user",
            ((str(u.id), canonical_sha256(user_body(u))) for u in users),
            store.iter_kind("config.user"),
            report,
        )
        step("tracking rules, device links and expected stock")
        for kind, rows, removal_hash in tracking_config_rows(uow.connection):
            _merge(kind, rows, store.iter_kind(kind), report, removal_hash)
        if actor is not None:
            audit(
                uow,
                actor,
                clock,
                "ledger.verify",
                "ledger",
                None,
                {"leaves": report.leaves, "problems": len(report.problems)},
            )
            uow.commit()
    return report


def describe_leaf(leaf: StoredLeaf) -> dict[str, Any]:
    return {"index": leaf.index, "leaf_hash": leaf.leaf_hash.hex(), "envelope": leaf.envelope.as_dict()}
