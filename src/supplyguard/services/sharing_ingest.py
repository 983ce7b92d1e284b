"""Receiving intelligence from a partner: verify, re-check the agreement, resolve versions, store, prove.

Nothing unsigned or unverifiable is stored. Each object is checked on its own: the author's
signature against keys registered out of band, every disclosed field against the signed
commitments, the agreement (type, TLP, fields, onward transfer), and freshness (older versions,
copies claiming another author and deleted objects are refused). A refused object is recorded
against the sending partner (``sharing_rejections`` and its failure counter) and the others go on.
Feedback notes about our own objects become feedback records.
"""

from __future__ import annotations

import gc
import json
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from supplyguard.adapters.db.sharing_repo import (
    Delivery,
    FeedbackRecord,
    HeldObject,
    Rejection,
    SharingRepository,
    wire_text,
)
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import AgreementViolation, InvalidInput, PermissionDenied, SignedObjectInvalid
from supplyguard.logging import get_logger
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.services.ledger_records import LedgerRecord, append_records
from supplyguard.services.sharing_disclosures import disclosure_from_note
from supplyguard.services.sharing_node import (
    SharingNode,
    intel_record,
    sign_if_appended,
)
from supplyguard.services.sharing_publish import (
    TOMBSTONE_TYPE,
    deliveries_for,
    held_from_signed,
    tombstone_marker,
)
from supplyguard.services.sharing_risk import Observed, forget_deleted, index_received, observed
from supplyguard.sharing import (
    Agreement,
    Forwarding,
    Freshness,
    IngressDecision,
    Keyring,
    SignedObject,
    Tombstone,
    TrustedKey,
    check_freshness,
    check_ingress,
    parse_agreement,
    preview,
    tlp_of,
    verify_object,
    verify_tombstone,
)
from supplyguard.sharing.bundle_stream import (
    DEFAULT_CHUNK_CHARS,
    DEFAULT_MAX_OBJECT_BYTES,
    TextSource,
    iter_bundle_entries,
)

log = get_logger(__name__)

FEEDBACK_PREFIX = "supplyguard-feedback:"
FEEDBACK_OUTCOMES = ("inspected", "seized", "false-positive", "not-encountered")
MAX_OBJECTS_PER_CALL = 10_000


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a page is parsed and stored.

    A page is thousands of fresh dicts that all stay alive until it is stored: the collector
    would walk them (and everything else alive) over and over for no garbage (json.loads of a
    1,000-object page is about six times slower with it on). Reference counting still frees
    memory; cycles are collected when it resumes.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:  # the fetcher thread and the storing thread pause it together
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


@dataclass
class IngestReport:
    stored: list[str] = field(default_factory=list)
    duplicates: int = 0
    deleted: list[str] = field(default_factory=list)
    feedback: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    signals: int = 0  # risk signals raised on open declarations that match what was stored

    def as_dict(self) -> dict[str, Any]:
        return {
            "stored": len(self.stored),
            "duplicates": self.duplicates,
            "deleted": len(self.deleted),
            "feedback": self.feedback,
            "signals": self.signals,
            "rejected": [{"id": r.stix_id, "check": r.check_name, "detail": r.detail} for r in self.rejected],
        }


def _ingress(
    stix: Mapping[str, Any],
    agreements: Sequence[Agreement],
    sender: str,
    recipient: str,
    author: str,
    on: date,
) -> IngressDecision:
    object_id = str(stix.get("id", "?"))
    reasons: list[str] = []
    for agreement in agreements:
        if not agreement.is_party(sender) or recipient not in agreement.recipients:
            continue
        try:
            return check_ingress(
                stix, agreement, sender=sender, recipient=recipient, on=on, author_node=author
            )
        except AgreementViolation as violation:
            reasons.extend(f"[{agreement.agreement_id}] {r}" for r in violation.reasons)
    if not reasons:
        reasons.append(f"no agreement lets {sender} send intelligence to {recipient}")
    raise AgreementViolation("(none)", object_id, reasons)


@lru_cache(maxsize=128)
def _parsed_agreement(yaml_text: str) -> Agreement:
    return parse_agreement(yaml_text)


@dataclass(frozen=True, slots=True)
class CheckContext:
    """All that the checks needing no database depend on: the keys we trust (ours and every active
    partner's, pinned out of band), the registered agreements, who sends, who receives, and the day.
    Equal contexts give equal verdicts, so a verdict reached elsewhere (a verification worker) is
    used only while the context read in the storing transaction is still equal to it."""

    keys: tuple[tuple[str, str, bytes], ...]  # (node id, STIX identity, raw Ed25519 public key)
    agreement_texts: tuple[str, ...]
    sender: str
    recipient: str
    on: date

    def keyring(self) -> Keyring:
        return Keyring(TrustedKey.from_public_bytes(node, author, raw) for node, author, raw in self.keys)

    def agreements(self) -> list[Agreement]:
        return [_parsed_agreement(text) for text in self.agreement_texts]


def check_context(repo: SharingRepository, node: SharingNode, sender: str, on: date) -> CheckContext:
    """The :class:`CheckContext` of objects from ``sender`` to this node on day ``on``, as stored now."""
    keys = [(node.node_id, node.author_ref, node.key.public_key_raw)]
    keys.extend((p.node_id, p.author_ref, p.public_key) for p in repo.partners() if p.status == "active")
    texts = tuple(record.yaml_text for record in repo.agreements())
    return CheckContext(tuple(keys), texts, sender, node.node_id, on)


#: What storing a passed object needs of it alone, worked out where it was verified: its header's
#: content hash, :func:`~supplyguard.services.sharing_risk.observed` of its stored form, that form's
#: JSON text (:func:`~supplyguard.adapters.db.sharing_repo.wire_text`), its type, version and author
#: identity (the signed header's), its TLP and whether it is revoked.
Derived = tuple[str, Observed, str, str, str, str, str | None, bool]


def _held_from_derived(
    derived: Derived,
    object_id: str,
    wire: Mapping[str, Any] | None,
    *,
    position: int,
    author_node: str,
    received_from: str | None,
    agreement_id: str | None,
    stored_at: datetime,
) -> HeldObject:
    """The held row of a verified first version, from its :data:`Derived` (what
    :func:`~supplyguard.services.sharing_publish.held_from_signed` reads of a SignedObject) and the
    object as received, stored with the text written where it was verified. Without the object
    (not read here: :class:`UnreadObjects`) its ``wire`` is empty and the text holds it."""
    content_hash, _, text, stix_type, version, author_ref, tlp, revoked = derived
    return HeldObject(
        position=position,
        stix_id=object_id,
        stix_type=stix_type,
        version=version,
        author_ref=author_ref,
        author_node=author_node,
        content_hash=content_hash,
        tlp=tlp,
        wire={} if wire is None else dict(wire),
        received_from=received_from,
        agreement_id=agreement_id,
        current=True,
        revoked=revoked,
        deleted=False,
        stored_at=stored_at,
        text=text,
    )


class UnreadObjects(Sequence[Any]):
    """A delivery's objects that are read (parsed) only when something asks for one: the sync's
    page, already parsed and verified by its verification worker. For an object whose worker
    verdict carries its :data:`Derived` and that is a first version, :func:`ingest_in_uow` stores
    what the verdict holds (the verified object, written out where it was verified) without
    reading the object here; the others are read and checked as in a plain list."""

    def is_read(self) -> bool:
        """Whether the objects were read already (then every verdict is matched to its object)."""
        raise NotImplementedError


def _held_wire(held: HeldObject) -> Mapping[str, Any]:
    """The object of a held version, read from its stored text where it was stored without the
    object as received (a first version stored from its worker verdict)."""
    if held.wire or held.text is None:
        return held.wire
    parsed: Mapping[str, Any] = json.loads(held.text)
    return parsed


def _derived(signed: SignedObject) -> Derived | None:
    """The :data:`Derived` of a verified object; None where its stored form cannot be written."""
    header, stix = signed.header, signed.stix
    stored = signed.to_stix()
    try:
        text = wire_text(stored)
    except (ValueError, TypeError):
        return None
    tlp = tlp_of(stix)
    return (
        header.content_hash,
        observed(stored),
        text,
        header.object_type,
        header.version,
        header.author_ref,
        None if tlp is None else tlp.value,
        bool(stix.get("revoked", False)),
    )


@dataclass(frozen=True, slots=True)
class Checked:
    """The verdict on one received object of the checks that need no database: the author's
    signature, every disclosed field against its commitment, and the agreement. Refused: ``check``
    names the failed check. Passed: ``author`` is the author's node and ``agreement_id`` the
    agreement it came under (None for our own object coming back). ``derived``, where the checker
    was asked for it (the sync's verification worker), is what storing the passed object needs of
    it alone (:data:`Derived`), so that the storing process does not read the object again."""

    object_id: str
    author: str = ""
    agreement_id: str | None = None
    check: str | None = None
    detail: str = ""
    derived: Derived | None = None


def check_objects(
    objects: Sequence[Any], context: CheckContext, keyring: Keyring | None = None, *, derive: bool = False
) -> list[Checked | None]:
    """Verdicts of :func:`check_object` for ``objects`` (pure: no database; runs in any process);
    with ``derive``, each passed one carries :attr:`Checked.derived`."""
    ring = context.keyring() if keyring is None else keyring
    agreements = context.agreements()
    shapes: dict[Any, str | tuple[str, ...]] = {}
    return [check_object(wire, ring, agreements, context, shapes, derive=derive) for wire in objects]


#: What :func:`check_ingress` reads of an object: its type, its TLP markings, the paths (not the
#: values) of its disclosed fields, and for an identity its class (individuals' details are personal
#: data). Objects alike in all of these, from one author under one check context, get the same
#: decision: the agreement is re-checked once per shape and the verdict applies to each of them.
_Shape = tuple[str, tuple[str, ...], Any, Any, str]


def _shape(stix: Mapping[str, Any], paths: tuple[str, ...], author: str) -> _Shape | None:
    markings = stix.get("object_marking_refs")
    if type(markings) is list:
        markings = tuple(markings)
    identity_class = stix.get("identity_class") if stix.get("type") == "identity" else None
    shape = (str(stix.get("type")), paths, markings, identity_class, author)
    try:
        hash(shape)
    except TypeError:  # an odd marking or identity class (a dict, a list of lists): no memo
        return None
    return shape


def _agreement_of(
    stix: Mapping[str, Any],
    paths: tuple[str, ...],
    agreements: Sequence[Agreement],
    context: CheckContext,
    author: str,
    shapes: dict[Any, str | tuple[str, ...]] | None,
) -> str:
    """The id of the agreement the object came under (:func:`_ingress`), or AgreementViolation;
    ``shapes`` remembers the decisions of one check context by object shape (:data:`_Shape`)."""
    shape = _shape(stix, paths, author) if shapes is not None else None
    known = shapes.get(shape) if shapes is not None and shape is not None else None
    if known is None:
        try:
            known = _ingress(
                stix, agreements, context.sender, context.recipient, author, context.on
            ).agreement_id
        except AgreementViolation as violation:
            known = violation.reasons
        if shapes is not None and shape is not None:
            shapes[shape] = known
    if isinstance(known, tuple):
        raise AgreementViolation("(none)", str(stix.get("id", "?")), known)
    return known


def check_object(
    wire: Any,
    keyring: Keyring,
    agreements: Sequence[Agreement],
    context: CheckContext,
    shapes: dict[Any, str | tuple[str, ...]] | None = None,
    *,
    derive: bool = False,
) -> Checked | None:
    """Verify one received object and re-check its agreement. None for a tombstone (its checks
    need what is held) and for what is not a JSON object (refused where it is stored).
    ``shapes``, shared by the calls of one check context, remembers agreement decisions by object
    shape (:data:`_Shape`)."""
    if not isinstance(wire, Mapping) or wire.get("type") == TOMBSTONE_TYPE:
        return None
    object_id = str(wire.get("id", "?"))
    try:
        signed = SignedObject.from_stix(wire)
        fields = verify_object(signed, keyring)
        key = keyring.get(signed.header.key_id)
        author = key.node_id if key is not None else context.sender
        if author == context.recipient:
            return Checked(object_id, author)  # our own object coming back: we hold the original
        agreement_id = _agreement_of(signed.stix, tuple(fields), agreements, context, author, shapes)
        if not derive:
            return Checked(object_id, author, agreement_id)
        return Checked(object_id, author, agreement_id, derived=_derived(signed))
    except SignedObjectInvalid as error:
        return Checked(object_id, check=error.check, detail=error.message)
    except AgreementViolation as error:
        return Checked(object_id, check="agreement", detail=error.message)
    except InvalidInput as error:
        return Checked(object_id, check="format", detail=error.message)


def _feedback_from_note(
    repo: SharingRepository, node: SharingNode, sender: str, signed: SignedObject, at: datetime
) -> int:
    stix = signed.stix
    abstract = str(stix.get("abstract", ""))
    if stix.get("type") != "note" or not abstract.startswith(FEEDBACK_PREFIX):
        return 0
    outcome = abstract.removeprefix(FEEDBACK_PREFIX).strip()
    if outcome not in FEEDBACK_OUTCOMES:
        return 0
    count = 0
    for ref in stix.get("object_refs", ()):
        held = repo.held(str(ref))
        if held is None or held.author_node != node.node_id:
            continue
        record = FeedbackRecord(
            uuid.uuid4(),
            str(ref),
            sender,
            node.node_id,
            outcome,
            str(stix.get("content", "")),
            signed.object_id,
            at,
        )
        count += int(repo.add_feedback(record))
    return count


def _tombstone(
    repo: SharingRepository, keyring: Keyring, wire: Mapping[str, Any], state: IngressState, position: int
) -> bool:
    """Apply a signed deletion; pass it on to partners we relayed the object to. True if
    ``position`` was used (for the relayed tombstone)."""
    data = wire.get("tombstone")
    if not isinstance(data, Mapping):
        raise SignedObjectInvalid(
            str(wire.get("id", "?")), "format", "a tombstone object without its tombstone"
        )
    tombstone = Tombstone.from_dict(data)
    held = repo.held(tombstone.object_id)
    verify_tombstone(tombstone, keyring, SignedObject.from_stix(held.wire).header if held else None)
    if repo.tombstone(tombstone.object_id) is not None:
        state.report.duplicates += 1
        return False
    relayed_to = {d.partner_node: d.agreement_id for d in repo.deliveries_of(tombstone.object_id)}
    repo.save_tombstone(
        tombstone.object_id,
        tombstone.author_ref,
        tombstone.deleted_at,
        tombstone.reason,
        dict(data),
        state.at,
    )
    repo.mark_deleted(tombstone.object_id)
    state.report.deleted.append(tombstone.object_id)
    state.records.append(
        LedgerRecord(
            "intel.deleted", tombstone.object_id[:128], state.node.node_id[:64], state.at, tombstone.as_dict()
        )
    )
    if not relayed_to:
        return False
    key = keyring.get(tombstone.key_id)
    author_node = key.node_id if key is not None else "?"
    marker = tombstone_marker(wire, position, tombstone.author_ref, author_node, state.sender, state.at)
    repo.add_object(marker)
    repo.add_deliveries(
        [
            Delivery(
                partner,
                position,
                marker.stix_id,
                TOMBSTONE_TYPE,
                marker.version,
                agreement,
                "whole",
                (),
                marker.wire,
                True,
                state.at,
            )
            for partner, agreement in sorted(relayed_to.items())
        ]
    )
    return True


#: A verified object as the storing side has it: parsed, as received, or as the JSON text stored.
_Verified = SignedObject | Mapping[str, Any] | str


def _signed(verified: _Verified) -> SignedObject:
    if isinstance(verified, SignedObject):
        return verified
    return SignedObject.from_stix(json.loads(verified) if isinstance(verified, str) else verified)


def _onward_deliveries(
    repo: SharingRepository,
    node: SharingNode,
    sender: str,
    agreements: Sequence[Agreement],
    received: Sequence[tuple[_Verified, int, str, str]],
    at: datetime,
) -> list[Delivery]:
    """Copies of received objects (each verified: a SignedObject, as received or as stored) for our other
    partners, where the agreement they came under and their TLP allow onward transfer; each keeps
    the author's signature (MISP's relays lose it)."""
    if not received:
        return []
    by_id = {agreement.agreement_id: agreement for agreement in agreements}
    others = [p.node_id for p in repo.partners() if p.status == "active" and p.node_id != sender]
    result: list[Delivery] = []
    for verified, position, author, agreement_id in received:
        targets = [partner for partner in others if partner != author]
        received_under = by_id.get(agreement_id)
        if not targets or received_under is None:
            continue
        signed = _signed(verified)
        decisions = preview(
            signed.stix,
            agreements,
            targets,
            sender=node.node_id,
            on=at.date(),
            forwarding=Forwarding(author, received_under),
        )
        result.extend(deliveries_for(signed, decisions, position, at))
    return result


class _Refused(Exception):
    """A verdict of :func:`check_object` refusing an object (recorded like the error it stood for)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message


@dataclass
class IngressState:
    node: SharingNode
    sender: str
    at: datetime
    report: IngestReport
    records: list[LedgerRecord]


def ingest_in_uow(
    uow: SqlUnitOfWork,
    node: SharingNode,
    sender: str,
    objects: Sequence[Mapping[str, Any]],
    *,
    checked: Sequence[Checked | None] | None = None,
    checked_under: CheckContext | None = None,
) -> IngestReport:
    """Ingest ``objects`` from partner ``sender`` inside the caller's open unit of work (no commit).

    Lookups are made once per delivery and the accepted versions are written in one bulk insert.
    ``checked`` may hold the verdicts of :func:`check_objects` on these very objects, reached
    elsewhere (the sync's verification worker) under ``checked_under``: they are used only if that
    context equals the one read here, in this transaction, and each verdict names its object;
    otherwise every object is checked here. Either way every object is verified before it is stored.
    """
    if len(objects) > MAX_OBJECTS_PER_CALL:
        raise InvalidInput(f"{len(objects)} objects in one delivery; at most {MAX_OBJECTS_PER_CALL}")
    repo = SharingRepository(uow.connection)
    partner = repo.partner(sender)
    if partner is None or partner.status != "active":
        raise PermissionDenied("accept intelligence", f"{sender} is not an active partner")
    at = node.clock.now()
    context = check_context(repo, node, sender, at.date())
    keyring = context.keyring()
    agreements = context.agreements()
    if checked is not None and (checked_under != context or len(checked) != len(objects)):
        checked = None
    shapes: dict[Any, str | tuple[str, ...]] = {}
    state = IngressState(node, sender, at, IngestReport(), [])
    report = state.report
    # A page that is not read yet (UnreadObjects) stays unread for each object whose worker verdict
    # carries what storing it needs (a passed object, written out where it was verified): its id is
    # the verdict's. Every other object is read, and a verdict counts only for the object it names.
    unread = isinstance(objects, UnreadObjects) and not objects.is_read()
    sure: list[Checked | None] = [None] * len(objects)
    if checked is not None and unread:
        sure = [v if v is not None and v.derived is not None and v.check is None else None for v in checked]
    ids: list[str] = []
    for index, verdict in enumerate(sure):
        if verdict is not None:
            ids.append(verdict.object_id)
            continue
        w = objects[index]
        if isinstance(w, Mapping) and w.get("type") != TOMBSTONE_TYPE:
            ids.append(str(w.get("id")))
    # The log lock first (PostgreSQL), then what is held: a delivery stored concurrently is either
    # committed and read here, or waits for this one; so ids not held now are new to the store.
    position = repo.next_position()
    held_by_id = repo.held_many(ids)
    in_store = set(held_by_id)  # ids with a current version stored (flushed ones join)
    held_by_before = frozenset(in_store)  # ... before this delivery: the others have no intel keys
    tombstones = repo.tombstones_many(ids)
    pending: list[HeldObject] = []
    pending_index: dict[str, int] = {}
    notes: list[SignedObject] = []
    relays: list[tuple[_Verified, int, str, str]] = []
    accepted: list[HeldObject] = []
    seen: dict[int, Observed] = {}  # by log position: what the verification worker observed

    def flush() -> None:
        if pending:
            repo.add_objects(pending, held=in_store)
            in_store.update(held.stix_id for held in pending)
            pending.clear()
            pending_index.clear()

    def accept(stored: HeldObject, verified: _Verified, author: str, agreement_id: str) -> None:
        """Queue an accepted version for the bulk insert, its ledger leaf, feedback and relays."""
        earlier = pending_index.get(stored.stix_id)
        if earlier is not None:
            pending[earlier] = replace(pending[earlier], current=False)
        pending_index[stored.stix_id] = len(pending)
        pending.append(stored)
        accepted.append(stored)
        held_by_id[stored.stix_id] = stored
        report.stored.append(stored.stix_id)
        state.records.append(
            intel_record("intel.received", stored, node, {"from": sender, "agreement": agreement_id})
        )
        if stored.stix_type == "note":
            notes.append(_signed(verified))
        relays.append((verified, stored.position, author, agreement_id))

    for index in range(len(objects)):
        verdict = sure[index]
        if verdict is not None and verdict.agreement_id is not None and verdict.derived is not None:
            object_id = verdict.object_id
            if object_id not in held_by_id and object_id not in tombstones:
                # A first version, verified and written out by the worker: stored as it wrote it
                # (the object the verdict names), the object as received not read here.
                made = verdict.derived
                stored = _held_from_derived(
                    made,
                    object_id,
                    None,
                    position=position,
                    author_node=verdict.author,
                    received_from=sender,
                    agreement_id=verdict.agreement_id,
                    stored_at=at,
                )
                seen[position] = made[1]
                position += 1
                accept(stored, made[2], verdict.author, verdict.agreement_id)
                continue
        wire = objects[index]
        object_id = str(wire.get("id", "?")) if isinstance(wire, Mapping) else "?"
        try:
            if not isinstance(wire, Mapping):
                raise SignedObjectInvalid(object_id, "format", "not a JSON object")
            if wire.get("type") == TOMBSTONE_TYPE:
                flush()
                if _tombstone(repo, keyring, wire, state, position):
                    position += 1
                target = str(wire.get("object_ref", ""))
                held_by_id.pop(target, None)
                stored_tombstone = repo.tombstone(target)
                if stored_tombstone is not None:
                    tombstones[target] = stored_tombstone
                continue
            verdict = checked[index] if checked is not None else None
            if verdict is None or verdict.object_id != object_id:
                verdict = check_object(wire, keyring, agreements, context, shapes)
            if verdict is None:  # cannot happen: tombstones and non-objects are handled above
                raise SignedObjectInvalid(object_id, "format", "not a signed object")
            if verdict.check is not None:
                raise _Refused(verdict.check, verdict.detail)
            if verdict.agreement_id is None:
                report.duplicates += 1  # our own object coming back: we hold the original
                continue
            author, agreement_id = verdict.author, verdict.agreement_id
            derived = verdict.derived
            if derived is not None and object_id not in held_by_id and object_id not in tombstones:
                # A first version (nothing held, no deletion: check_freshness would say NEW) that
                # was verified and written out where it was checked (a passed verdict means the
                # object's id is its signed header's): stored as written there, not read again.
                stored = _held_from_derived(
                    derived,
                    object_id,
                    wire,
                    position=position,
                    author_node=author,
                    received_from=sender,
                    agreement_id=agreement_id,
                    stored_at=at,
                )
                verified: _Verified = wire
            else:
                signed = SignedObject.from_stix(wire)
                held = held_by_id.get(signed.object_id)
                stored_tombstone = tombstones.get(signed.object_id)
                decision = check_freshness(
                    signed.header,
                    None if held is None else SignedObject.from_stix(_held_wire(held)).header,
                    None if stored_tombstone is None else Tombstone.from_dict(stored_tombstone),
                )
                if decision.outcome in (Freshness.DUPLICATE, Freshness.KEPT_HELD):
                    report.duplicates += 1
                    continue
                stored = held_from_signed(
                    signed,
                    position=position,
                    author_node=author,
                    received_from=sender,
                    agreement_id=agreement_id,
                    stored_at=at,
                    content_hash=None if derived is None else derived[0],
                )
                verified = signed
            if derived is not None:
                seen[position] = derived[1]
            position += 1
            accept(stored, verified, author, agreement_id)
        except (_Refused, SignedObjectInvalid, AgreementViolation, InvalidInput) as error:
            if isinstance(error, _Refused | SignedObjectInvalid):
                check = error.check
            else:
                check = "agreement" if isinstance(error, AgreementViolation) else "format"
            rejection = Rejection(sender, object_id, check, error.message, at)
            repo.record_rejection(rejection)
            report.rejected.append(rejection)
            log.warning("intel.rejected", partner=sender, object_id=object_id, check=check)
    flush()
    repo.add_deliveries(_onward_deliveries(repo, node, sender, agreements, relays, at))
    for note in notes:
        report.feedback += _feedback_from_note(repo, node, sender, note, at)
        disclosure_from_note(repo, sender, note, at)
    for deleted in report.deleted:
        forget_deleted(uow, deleted)
    new = {held.stix_id for held in accepted}.difference(held_by_before)
    report.signals = index_received(uow, node.node_id, agreements, accepted, at, new=new, seen=seen)
    append_records(uow, state.records)
    if state.records:
        sign_if_appended(uow, node, at)
    return report


def ingest_objects(
    uow: SqlUnitOfWork, node: SharingNode, sender: str, objects: Sequence[Mapping[str, Any]]
) -> IngestReport:
    """Ingest one delivery from ``sender`` in one transaction; rejections are recorded, not raised."""
    with uow:
        report = ingest_in_uow(uow, node, sender, objects)
        uow.commit()
    return report


@dataclass
class ImportReport:
    """What a bundle import did, as counts (a million ids are not kept in memory)."""

    objects: int = 0
    chunks: int = 0
    stored: int = 0
    duplicates: int = 0
    deleted: int = 0
    feedback: int = 0
    signals: int = 0
    rejected: int = 0
    rejections: list[dict[str, str]] = field(default_factory=list)  # the first MAX_LISTED

    MAX_LISTED = 100

    def add(self, report: IngestReport, objects: int) -> None:
        self.objects += objects
        self.chunks += 1
        self.stored += len(report.stored)
        self.duplicates += report.duplicates
        self.deleted += len(report.deleted)
        self.feedback += report.feedback
        self.signals += report.signals
        self.rejected += len(report.rejected)
        for rejection in report.rejected[: max(0, self.MAX_LISTED - len(self.rejections))]:
            self.rejections.append(
                {"id": rejection.stix_id, "check": rejection.check_name, "detail": rejection.detail}
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "chunks": self.chunks,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "deleted": self.deleted,
            "feedback": self.feedback,
            "signals": self.signals,
            "rejected": self.rejected,
            "rejections": self.rejections,
        }


def import_bundle(
    uow_factory: Callable[[], SqlUnitOfWork],
    actor: Principal,
    node: SharingNode,
    sender: str,
    source: TextSource,
    *,
    chunk_objects: int = 1000,
    chunk_bytes: int = 8 * 1024 * 1024,
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
) -> ImportReport:
    """Ingest a STIX bundle from ``sender`` read as a stream, ``chunk_objects`` at a time.

    Memory stays bounded whatever the size of the file: the bundle is parsed one object at a time
    (:func:`~supplyguard.sharing.bundle_stream.iter_bundle_entries`) and each chunk (at most
    ``chunk_objects`` objects and about ``chunk_bytes`` of JSON text) is verified and stored in its
    own transaction, like a sync page. A bundle that turns out malformed or holds an
    object over ``max_object_bytes`` raises :class:`BundleInvalid`: the chunk being read is not
    stored; chunks already committed stay (every one verified), and importing the same file again
    stores only what is missing (objects already held are duplicates by content).
    """
    require(actor, Action.SHARING_SYNC)
    if chunk_objects < 1 or chunk_objects > MAX_OBJECTS_PER_CALL:
        raise InvalidInput(f"chunk_objects must be between 1 and {MAX_OBJECTS_PER_CALL}")
    result = ImportReport()
    chunk: list[Any] = []
    size = 0

    def store() -> None:
        with uow_factory() as uow, gc_paused():
            report = ingest_in_uow(uow, node, sender, chunk)
            uow.commit()
        result.add(report, len(chunk))
        chunk.clear()

    entries = iter_bundle_entries(source, max_object_bytes=max_object_bytes, chunk_chars=chunk_chars)
    for wire, chars in entries:
        chunk.append(wire)
        size += chars
        if len(chunk) >= chunk_objects or size >= chunk_bytes:
            store()
            size = 0
    if chunk:
        store()
    log.info(
        "intel.imported", partner=sender, **{k: v for k, v in result.as_dict().items() if k != "rejections"}
    )
    return result
