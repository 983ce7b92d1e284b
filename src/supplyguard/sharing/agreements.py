"""Sharing agreements: who may receive which intelligence, for what, and for how long.

An agreement is a readable YAML file (see docs/sharing.md and examples/sharing/). It is parsed by
:func:`parse_agreement` into frozen values; nothing here reads files or the clock.
"""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import yaml

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.sharing.tlp import Tlp


class OnwardTransfer(enum.Enum):
    """What a recipient may do with what it received, towards third parties."""

    NONE = "none"  # keep it; forward to nobody
    PARTIES = "parties"  # forward to other parties of the same agreement, under their rules
    WITH_AUTHOR_CONSENT = "with-author-consent"  # forward only with the author's recorded consent


@dataclass(frozen=True, slots=True)
class Party:
    node_id: str
    name: str
    country: str | None = None


@dataclass(frozen=True, slots=True)
class TypeRule:
    """Fields of one object type a recipient may receive (glob patterns such as ``shipment.*``)."""

    fields: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()

    def allows(self, path: str) -> bool:
        return _allows(self.fields, self.exclude, path)


@lru_cache(maxsize=4096)
def _allows(fields: tuple[str, ...], exclude: tuple[str, ...], path: str) -> bool:
    """Remembered per rule and path: paths come from a small schema, and every object checks each."""
    return any(fnmatch.fnmatchcase(path, p) for p in fields) and not any(
        fnmatch.fnmatchcase(path, p) for p in exclude
    )


@dataclass(frozen=True, slots=True)
class RecipientRule:
    node_id: str
    max_tlp: Tlp
    objects: Mapping[str, TypeRule]
    purposes: tuple[str, ...]
    retention_days: int
    personal_data: bool = True

    def rule_for(self, object_type: str) -> TypeRule | None:
        return self.objects.get(object_type) or self.objects.get("*")


@dataclass(frozen=True, slots=True)
class Agreement:
    agreement_id: str
    title: str
    legal_basis: str
    parties: tuple[Party, ...]
    purposes: tuple[str, ...]
    valid_from: date
    valid_until: date | None
    onward_transfer: OnwardTransfer
    retention_days: int
    recipients: Mapping[str, RecipientRule]

    def is_party(self, node_id: str) -> bool:
        return any(party.node_id == node_id for party in self.parties)

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


_TOP_KEYS = {
    "id",
    "title",
    "legal_basis",
    "parties",
    "purposes",
    "valid_from",
    "valid_until",
    "onward_transfer",
    "retention_days",
    "recipients",
}
_RECIPIENT_KEYS = {"max_tlp", "objects", "purposes", "retention_days", "personal_data"}


class _Reader:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, where: tuple[str | int, ...], message: str) -> None:
        self.errors.append(FieldError(where, message))

    def text(self, data: Mapping[str, Any], key: str, where: tuple[str | int, ...]) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail((*where, key), "required text")
            return ""
        return value.strip()

    def strings(self, value: Any, where: tuple[str | int, ...]) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, "a list of text values")
            return ()
        return tuple(value)

    def day(self, value: Any, where: tuple[str | int, ...]) -> date | None:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(where, "a date YYYY-MM-DD")
        return None

    def days(self, value: Any, where: tuple[str | int, ...]) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(where, "a whole number of days, at least 1")
            return 1
        return value

    def unknown(self, data: Mapping[str, Any], allowed: set[str], where: tuple[str | int, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.fail((*where, str(key)), f"unknown key (expected one of {', '.join(sorted(allowed))})")


def _type_rule(reader: _Reader, value: Any, where: tuple[str | int, ...]) -> TypeRule:
    if value == "all":
        return TypeRule()
    if not isinstance(value, Mapping):
        reader.fail(where, "'all' or a mapping with fields/exclude")
        return TypeRule(fields=())
    reader.unknown(value, {"fields", "exclude"}, where)
    fields = value.get("fields", "all")
    return TypeRule(
        fields=("*",) if fields == "all" else reader.strings(fields, (*where, "fields")),
        exclude=reader.strings(value.get("exclude", []), (*where, "exclude")),
    )


def _recipient(
    reader: _Reader, node_id: str, data: Any, agreement_purposes: tuple[str, ...], retention_days: int
) -> RecipientRule:
    where: tuple[str | int, ...] = ("recipients", node_id)
    if not isinstance(data, Mapping):
        reader.fail(where, "a mapping")
        data = {}
    reader.unknown(data, _RECIPIENT_KEYS, where)
    try:
        max_tlp = Tlp.parse(str(data.get("max_tlp", "")))
    except ValueError as error:
        reader.fail((*where, "max_tlp"), str(error))
        max_tlp = Tlp.CLEAR
    objects_data = data.get("objects", {})
    objects: dict[str, TypeRule] = {}
    if not isinstance(objects_data, Mapping) or not objects_data:
        reader.fail((*where, "objects"), "a mapping of object type to 'all' or {fields, exclude}")
    else:
        for object_type, rule in objects_data.items():
            objects[str(object_type)] = _type_rule(reader, rule, (*where, "objects", str(object_type)))
    purposes = reader.strings(data.get("purposes", list(agreement_purposes)), (*where, "purposes"))
    for purpose in purposes:
        if purpose not in agreement_purposes:
            reader.fail((*where, "purposes"), f"{purpose!r} is not a purpose of the agreement")
    retention = reader.days(data.get("retention_days", retention_days), (*where, "retention_days"))
    if retention > retention_days:
        reader.fail((*where, "retention_days"), "longer than the agreement's retention_days")
    personal = data.get("personal_data", True)
    if not isinstance(personal, bool):
        reader.fail((*where, "personal_data"), "true or false")
        personal = True
    return RecipientRule(node_id, max_tlp, objects, purposes, retention, personal)


def agreement_from_mapping(data: Mapping[str, Any]) -> Agreement:
    """Build an :class:`Agreement` from parsed YAML/JSON, reporting every problem at once."""
    reader = _Reader()
    reader.unknown(data, _TOP_KEYS, ())
    parties: list[Party] = []
    raw_parties = data.get("parties")
    if not isinstance(raw_parties, list) or len(raw_parties) < 2:
        reader.fail(("parties",), "at least two parties, each with node and name")
        raw_parties = []
    for i, item in enumerate(raw_parties):
        if not isinstance(item, Mapping):
            reader.fail(("parties", i), "a mapping with node, name and optional country")
            continue
        reader.unknown(item, {"node", "name", "country"}, ("parties", i))
        parties.append(
            Party(
                reader.text(item, "node", ("parties", i)),
                reader.text(item, "name", ("parties", i)),
                item.get("country"),
            )
        )
    purposes = reader.strings(data.get("purposes"), ("purposes",))
    if not purposes:
        reader.fail(("purposes",), "at least one purpose")
    try:
        onward = OnwardTransfer(data.get("onward_transfer"))
    except ValueError:
        reader.fail(("onward_transfer",), "one of none, parties, with-author-consent")
        onward = OnwardTransfer.NONE
    retention = reader.days(data.get("retention_days"), ("retention_days",))
    valid_from = reader.day(data.get("valid_from"), ("valid_from",))
    valid_until = reader.day(data["valid_until"], ("valid_until",)) if data.get("valid_until") else None
    if valid_from and valid_until and valid_until < valid_from:
        reader.fail(("valid_until",), "before valid_from")
    party_ids = {party.node_id for party in parties}
    recipients: dict[str, RecipientRule] = {}
    raw_recipients = data.get("recipients")
    if not isinstance(raw_recipients, Mapping) or not raw_recipients:
        reader.fail(("recipients",), "a mapping of party node id to its rules")
        raw_recipients = {}
    for node_id, rule in raw_recipients.items():
        if node_id not in party_ids:
            reader.fail(("recipients", str(node_id)), "not one of the parties")
        recipients[str(node_id)] = _recipient(reader, str(node_id), rule, purposes, retention)
    agreement = Agreement(
        agreement_id=reader.text(data, "id", ()),
        title=reader.text(data, "title", ()),
        legal_basis=reader.text(data, "legal_basis", ()),
        parties=tuple(parties),
        purposes=purposes,
        valid_from=valid_from or date.min,
        valid_until=valid_until,
        onward_transfer=onward,
        retention_days=retention,
        recipients=recipients,
    )
    if reader.errors:
        raise ValidationFailed(reader.errors, "agreement: " + "; ".join(map(str, reader.errors)))
    return agreement


def parse_agreement(yaml_text: str) -> Agreement:
    """Parse one agreement from YAML text; raise :class:`ValidationFailed` listing every problem."""
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as error:
        raise ValidationFailed([FieldError((), f"not valid YAML: {error}")]) from error
    if not isinstance(data, Mapping):
        raise ValidationFailed([FieldError((), "an agreement file is a YAML mapping")])
    return agreement_from_mapping(data)
