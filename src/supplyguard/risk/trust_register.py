"""The trusted-trader register file (YAML): AEO / C-TPAT statuses and mutual recognition arrangements.

Format (see docs/risk.md)::

    statuses:
      - {party: IMP1, programme: AEO, tier: 2, issuing_country: NL, valid_from: 2024-01-01,
         valid_to: 2027-12-31, certificate: NLAEOF0001}
    arrangements:
      - {partner_country: KR, programmes: [AEO], valid_from: 2010-06-01}

``party`` is the party's code in declarations (the importer's, for the score). Every problem is
reported at once as ``ValidationFailed`` with its location.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from supplyguard.compliance import MutualRecognition, Programme, TrustedStatus
from supplyguard.errors import FieldError, ValidationFailed

_STATUS_KEYS = frozenset(
    ("party", "programme", "tier", "issuing_country", "valid_from", "valid_to", "certificate")
)
_MRA_KEYS = frozenset(("partner_country", "programmes", "valid_from", "valid_to"))


@dataclass(frozen=True, slots=True)
class TrustRegister:
    statuses: tuple[TrustedStatus, ...]
    arrangements: tuple[MutualRecognition, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is reported rather than raised."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _date(raw: Any, where: tuple[str | int, ...], errors: list[FieldError], *, required: bool) -> date | None:
    if raw is None:
        if required:
            errors.append(FieldError(where, "is required (YYYY-MM-DD)"))
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        errors.append(FieldError(where, f"{raw!r} is not a date (YYYY-MM-DD)"))
        return None


def _programme(raw: Any, where: tuple[str | int, ...], errors: list[FieldError]) -> Programme | None:
    try:
        return Programme(str(raw))
    except ValueError:
        errors.append(
            FieldError(where, f"{raw!r} is not a programme ({', '.join(p.value for p in Programme)})")
        )
        return None


def _country(raw: Any, where: tuple[str | int, ...], errors: list[FieldError]) -> str:
    text = str(raw or "")
    if len(text) != 2 or not text.isalpha() or not text.isupper():
        errors.append(FieldError(where, f"{raw!r} is not an ISO 3166 alpha-2 code"))
    return text


def _status(raw: Any, where: tuple[str | int, ...], errors: list[FieldError]) -> TrustedStatus | None:
    if not isinstance(raw, dict):
        errors.append(FieldError(where, "a status is a mapping"))
        return None
    before = len(errors)
    for key in sorted(set(raw) - _STATUS_KEYS, key=str):
        errors.append(FieldError((*where, str(key)), "unknown key"))
    party = raw.get("party")
    if not isinstance(party, str) or not party.strip():
        errors.append(FieldError((*where, "party"), "is required (the party's code)"))
    programme = _programme(raw.get("programme"), (*where, "programme"), errors)
    tier = raw.get("tier")
    if not isinstance(tier, int) or isinstance(tier, bool) or not 1 <= tier <= 3:
        errors.append(FieldError((*where, "tier"), "must be 1, 2 or 3"))
    country = _country(raw.get("issuing_country"), (*where, "issuing_country"), errors)
    valid_from = _date(raw.get("valid_from"), (*where, "valid_from"), errors, required=True)
    valid_to = _date(raw.get("valid_to"), (*where, "valid_to"), errors, required=False)
    if valid_from and valid_to and valid_to < valid_from:
        errors.append(FieldError((*where, "valid_to"), "is before valid_from"))
    if len(errors) > before or programme is None or valid_from is None or not isinstance(tier, int):
        return None
    return TrustedStatus(
        str(party).strip(), programme, tier, country, valid_from, valid_to, str(raw.get("certificate") or "")
    )


def _arrangement(
    raw: Any, where: tuple[str | int, ...], home_country: str, errors: list[FieldError]
) -> MutualRecognition | None:
    if not isinstance(raw, dict):
        errors.append(FieldError(where, "an arrangement is a mapping"))
        return None
    before = len(errors)
    for key in sorted(set(raw) - _MRA_KEYS, key=str):
        errors.append(FieldError((*where, str(key)), "unknown key"))
    partner = _country(raw.get("partner_country"), (*where, "partner_country"), errors)
    names = raw.get("programmes")
    programmes: list[Programme] = []
    if not isinstance(names, list) or not names:
        errors.append(FieldError((*where, "programmes"), "needs a non-empty list (AEO, C-TPAT)"))
    else:
        for index, name in enumerate(names):
            found = _programme(name, (*where, "programmes", index), errors)
            if found is not None:
                programmes.append(found)
    valid_from = _date(raw.get("valid_from"), (*where, "valid_from"), errors, required=True)
    valid_to = _date(raw.get("valid_to"), (*where, "valid_to"), errors, required=False)
    if valid_from and valid_to and valid_to < valid_from:
        errors.append(FieldError((*where, "valid_to"), "is before valid_from"))
    if len(errors) > before or valid_from is None:
        return None
    return MutualRecognition(home_country, partner, frozenset(programmes), valid_from, valid_to)


def parse_trust_register(text: str, home_country: str) -> TrustRegister:
    """Parse and validate a register file; ValidationFailed lists every problem with its location."""
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise ValidationFailed([FieldError(("file",), f"not valid YAML: {exc}")]) from exc
    if not isinstance(document, dict) or not (set(document) <= {"statuses", "arrangements"}) or not document:
        raise ValidationFailed(
            [FieldError(("file",), "the file needs a 'statuses:' list and/or an 'arrangements:' list")]
        )
    errors: list[FieldError] = []
    statuses: list[TrustedStatus] = []
    arrangements: list[MutualRecognition] = []
    for name in ("statuses", "arrangements"):
        if not isinstance(document.get(name, []), list):
            errors.append(FieldError((name,), "must be a list"))
    raw_statuses = document.get("statuses") or []
    raw_arrangements = document.get("arrangements") or []
    for index, raw in enumerate(raw_statuses if isinstance(raw_statuses, list) else []):
        status = _status(raw, ("statuses", index), errors)
        if status is not None:
            statuses.append(status)
    for index, raw in enumerate(raw_arrangements if isinstance(raw_arrangements, list) else []):
        arrangement = _arrangement(raw, ("arrangements", index), home_country, errors)
        if arrangement is not None:
            arrangements.append(arrangement)
    if errors:
        raise ValidationFailed(errors)
    return TrustRegister(tuple(statuses), tuple(arrangements))
