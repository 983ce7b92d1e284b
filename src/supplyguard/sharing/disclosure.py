"""Compile agreements into what each partner receives: the whole object, a redacted one, or nothing.

:func:`compile_share` decides for one recipient under one agreement, :func:`preview` for every
partner under every agreement (what an analyst sees before publishing), :func:`check_ingress`
re-applies the agreement to what a partner sent us. Every decision carries its reasons in words.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from supplyguard.errors import AgreementViolation
from supplyguard.sharing.agreements import Agreement, OnwardTransfer
from supplyguard.sharing.extensions import PERSONAL_FIELDS
from supplyguard.sharing.fields import assemble_object, object_fields
from supplyguard.sharing.tlp import tlp_of

ALWAYS_KEPT = frozenset({"created", "created_by_ref", "object_marking_refs", "revoked", "pattern_version"})

REQUIRED_FIELDS: Mapping[str, frozenset[str]] = {
    "indicator": frozenset({"pattern", "pattern_type", "valid_from"}),
    "sighting": frozenset({"sighting_of_ref"}),
    "relationship": frozenset({"relationship_type", "source_ref", "target_ref"}),
    "report": frozenset({"name", "published", "object_refs"}),
    "note": frozenset({"content", "object_refs"}),
    "identity": frozenset({"name"}),
    "incident": frozenset({"name"}),
    "attack-pattern": frozenset({"name"}),
    "extension-definition": frozenset({"name", "schema", "version", "extension_types"}),
}


class Outcome(enum.Enum):
    WHOLE = "whole"
    REDACTED = "redacted"
    NOTHING = "nothing"


_OUTCOME_RANK = {Outcome.NOTHING: 0, Outcome.REDACTED: 1, Outcome.WHOLE: 2}


@dataclass(frozen=True, slots=True)
class Forwarding:
    """Context when the sender is not the author: the agreement it received the object under."""

    author_node: str
    received_under: Agreement
    author_consent: bool = False


@dataclass(frozen=True, slots=True)
class ShareDecision:
    """What one recipient receives of one object, under which agreement, and why."""

    recipient: str
    object_id: str
    agreement_id: str | None
    outcome: Outcome
    kept_fields: tuple[str, ...]
    removed_fields: tuple[str, ...]
    reasons: tuple[str, ...]
    purposes: tuple[str, ...] = ()
    retention_until: date | None = None
    stix: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class IngressDecision:
    agreement_id: str
    object_id: str
    purposes: tuple[str, ...]
    retention_until: date
    reasons: tuple[str, ...]


def personal_fields(stix_object: Mapping[str, Any]) -> frozenset[str]:
    """Fields of this object that are personal data (extension fields, and individuals' identities)."""
    found = {path for path in object_fields(stix_object) if path in PERSONAL_FIELDS}
    if stix_object.get("type") == "identity":
        found.add("contact_information")
        if stix_object.get("identity_class") == "individual":
            found.update({"name", "description", "party.eori"})
    return frozenset(found)


def _nothing(recipient: str, object_id: str, agreement_id: str | None, *reasons: str) -> ShareDecision:
    return ShareDecision(recipient, object_id, agreement_id, Outcome.NOTHING, (), (), tuple(reasons))


def _forwarding_refusal(
    agreement: Agreement, recipient: str, forwarding: Forwarding, tlp_text: str, onward_allowed_by_tlp: bool
) -> str | None:
    if not onward_allowed_by_tlp:
        return f"{tlp_text} forbids passing the object on beyond its first recipients"
    rule = forwarding.received_under.onward_transfer
    received = forwarding.received_under.agreement_id
    if rule is OnwardTransfer.NONE:
        return f"agreement {received}, under which it was received, forbids onward transfer"
    if rule is OnwardTransfer.PARTIES and (
        agreement.agreement_id != received or not forwarding.received_under.is_party(recipient)
    ):
        return f"agreement {received} allows onward transfer only to its own parties, under its own rules"
    if rule is OnwardTransfer.WITH_AUTHOR_CONSENT and not forwarding.author_consent:
        return f"agreement {received} allows onward transfer only with consent of {forwarding.author_node}"
    return None


def compile_share(
    stix_object: Mapping[str, Any],
    agreement: Agreement,
    recipient: str,
    *,
    sender: str,
    on: date,
    forwarding: Forwarding | None = None,
    assemble: bool = True,
) -> ShareDecision:
    """What ``recipient`` receives of ``stix_object`` from ``sender`` under ``agreement`` on day ``on``.

    ``assemble=False`` (ingress checks) decides without building the redacted copy: the decision's
    ``stix`` is None and ``kept_fields`` lists the kept paths of the original.
    """
    object_id = str(stix_object.get("id", "?"))
    object_type = str(stix_object.get("type", "?"))
    aid = agreement.agreement_id
    if not agreement.in_force_on(on):
        return _nothing(recipient, object_id, aid, f"agreement {aid} is not in force on {on.isoformat()}")
    if not agreement.is_party(sender):
        return _nothing(recipient, object_id, aid, f"{sender} is not a party to agreement {aid}")
    rule = agreement.recipients.get(recipient)
    if rule is None or recipient == sender:
        return _nothing(
            recipient, object_id, aid, f"agreement {aid} names no rules for {recipient} as recipient"
        )
    tlp = tlp_of(stix_object)
    if tlp is None:
        return _nothing(recipient, object_id, aid, "the object carries no TLP 2.0 marking")
    if forwarding is not None and forwarding.author_node != sender:
        refusal = _forwarding_refusal(agreement, recipient, forwarding, tlp.label, tlp.allows_onward_transfer)
        if refusal is not None:
            return _nothing(recipient, object_id, aid, refusal)
    if tlp.rank > rule.max_tlp.rank:
        return _nothing(
            recipient,
            object_id,
            aid,
            f"marked {tlp.label}, above the {rule.max_tlp.label} allowed for {recipient}",
        )
    type_rule = rule.rule_for(object_type)
    if type_rule is None:
        return _nothing(
            recipient, object_id, aid, f"agreement {aid} does not cover {object_type} objects for {recipient}"
        )
    personal = personal_fields(stix_object) if not rule.personal_data else frozenset()
    kept: list[str] = []
    removed: list[str] = []
    why: list[str] = []
    for path in object_fields(stix_object):
        if path.endswith(".extension_type"):
            continue
        if path in ALWAYS_KEPT:
            kept.append(path)
        elif path in personal:
            removed.append(path)
            why.append(f"withheld {path}: personal data, which {recipient} may not receive")
        elif not type_rule.allows(path):
            removed.append(path)
            why.append(f"withheld {path}: not among the {object_type} fields allowed for {recipient}")
        else:
            kept.append(path)
    missing = sorted(REQUIRED_FIELDS.get(object_type, frozenset()) & set(removed))
    if missing:
        return _nothing(
            recipient,
            object_id,
            aid,
            *why,
            f"a {object_type} cannot be sent without {', '.join(missing)}, which {recipient} may not receive",
        )
    redacted = assemble_object(stix_object, kept) if assemble else None
    basis = (
        f"agreement {aid} ({agreement.legal_basis}) lets {recipient} receive {object_type} "
        f"up to {rule.max_tlp.label}"
    )
    outcome = Outcome.REDACTED if removed else Outcome.WHOLE
    return ShareDecision(
        recipient=recipient,
        object_id=object_id,
        agreement_id=aid,
        outcome=outcome,
        kept_fields=tuple(sorted(object_fields(redacted) if redacted is not None else kept)),
        removed_fields=tuple(sorted(removed)),
        reasons=(f"{basis}; object marked {tlp.label}", *why),
        purposes=rule.purposes,
        retention_until=on + timedelta(days=rule.retention_days),
        stix=redacted,
    )


def _better(first: ShareDecision, second: ShareDecision) -> ShareDecision:
    """More is better; on a tie the smaller agreement id, so the choice never depends on order."""

    def rank(decision: ShareDecision) -> tuple[int, int]:
        return (_OUTCOME_RANK[decision.outcome], len(decision.kept_fields))

    first_rank, second_rank = rank(first), rank(second)
    if first_rank != second_rank:
        return first if first_rank > second_rank else second
    return first if (first.agreement_id or "") <= (second.agreement_id or "") else second


def preview(
    stix_object: Mapping[str, Any],
    agreements: Iterable[Agreement],
    partners: Sequence[str],
    *,
    sender: str,
    on: date,
    forwarding: Forwarding | None = None,
) -> tuple[ShareDecision, ...]:
    """For each partner, exactly what it would receive and why (the most an agreement allows)."""
    agreement_list = list(agreements)
    object_id = str(stix_object.get("id", "?"))
    decisions: list[ShareDecision] = []
    for partner in partners:
        candidates = [
            compile_share(stix_object, agreement, partner, sender=sender, on=on, forwarding=forwarding)
            for agreement in agreement_list
            if partner in agreement.recipients
        ]
        if not candidates:
            decisions.append(
                _nothing(partner, object_id, None, f"no sharing agreement names {partner} as recipient")
            )
            continue
        best = candidates[0]
        for candidate in candidates[1:]:
            best = _better(best, candidate)
        if best.outcome is Outcome.NOTHING and len(candidates) > 1:
            merged = tuple(f"[{c.agreement_id}] {reason}" for c in candidates for reason in c.reasons)
            best = _nothing(partner, object_id, None, *merged)
        decisions.append(best)
    return tuple(decisions)


def check_ingress(
    stix_object: Mapping[str, Any],
    agreement: Agreement,
    *,
    sender: str,
    recipient: str,
    on: date,
    author_node: str | None = None,
) -> IngressDecision:
    """Re-check what ``sender`` sent us (``recipient``) against the agreement; raise AgreementViolation.

    Of the object it reads only the type, the TLP markings, the paths (not the values) of the
    disclosed fields and an identity's class (and the id, for messages): ingest remembers its
    decisions by exactly these (``services.sharing_ingest._shape``); reading more here means adding
    it there."""
    object_id = str(stix_object.get("id", "?"))
    if author_node is not None and author_node != sender:
        tlp = tlp_of(stix_object)
        if tlp is not None and not tlp.allows_onward_transfer:
            raise AgreementViolation(
                agreement.agreement_id,
                object_id,
                [
                    f"{sender} forwarded an object of {author_node} marked {tlp.label}, "
                    "which may not be passed on"
                ],
            )
    decision = compile_share(stix_object, agreement, recipient, sender=sender, on=on, assemble=False)
    if decision.outcome is Outcome.NOTHING:
        raise AgreementViolation(agreement.agreement_id, object_id, decision.reasons)
    if decision.removed_fields:
        raise AgreementViolation(
            agreement.agreement_id,
            object_id,
            [
                f"field {path} is beyond what the agreement lets {recipient} receive"
                for path in decision.removed_fields
            ],
        )
    return IngressDecision(
        agreement_id=agreement.agreement_id,
        object_id=object_id,
        purposes=decision.purposes,
        retention_until=decision.retention_until or on,
        reasons=decision.reasons,
    )
