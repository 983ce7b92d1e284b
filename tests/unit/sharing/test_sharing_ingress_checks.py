"""The checks a received object passes before it is stored (no database): the agreement re-check
remembered by object shape gives every object the verdict it gets on its own, and values with no
canonical form are refused, never an error of the receiving node."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from supplyguard.services.sharing_ingest import CheckContext, Checked, check_object, check_objects
from supplyguard.sharing import (
    SHIPMENT_EXTENSION_ID,
    Keyring,
    SigningKey,
    Tlp,
    compile_share,
    disclose,
    parse_agreement,
    sign_object,
)
from tests.unit.sharing.sharing_factories import (
    EXAMPLE_AGREEMENT,
    TODAY,
    suspect_party_object,
    suspect_shipment_object,
)

# The example agreement, plus a recipient that takes every type but no personal data.
AGREEMENT_TEXT = (
    EXAMPLE_AGREEMENT.read_text(encoding="utf-8")
    + """  customs-c:
    max_tlp: amber
    personal_data: false
    objects:
      "*": all
"""
).replace("  - node: carrier-oceanic", "  - node: customs-c\n    name: C\n  - node: carrier-oceanic")


def _context(key: SigningKey, recipient: str) -> CheckContext:
    return CheckContext(
        ((key.node_id, key.author_ref, key.public_key_raw),), (AGREEMENT_TEXT,), "customs-a", recipient, TODAY
    )


def _one_by_one(objects: list[Any], context: CheckContext) -> list[Checked | None]:
    """Each object checked on its own: no decision remembered from another."""
    keyring = context.keyring()
    return [check_object(wire, keyring, context.agreements(), context) for wire in objects]


def _carrier_copy(key: SigningKey, tlp: Tlp, name: str) -> dict[str, Any]:
    """What the carrier may receive of a suspect shipment (the amber copy's fields)."""
    amber = sign_object({**suspect_shipment_object(Tlp.AMBER), "name": name}, key)
    kept = compile_share(
        amber.stix, parse_agreement(AGREEMENT_TEXT), "carrier-oceanic", sender="customs-a", on=TODAY
    ).kept_fields
    signed = amber if tlp is Tlp.AMBER else sign_object({**suspect_shipment_object(tlp), "name": name}, key)
    return disclose(signed, kept).to_stix()


def test_remembered_agreement_decisions_match_each_object_checked_alone(key_a: SigningKey) -> None:
    context = _context(key_a, "carrier-oceanic")
    allowed = _carrier_copy(key_a, Tlp.AMBER, "first alert")
    alike = _carrier_copy(key_a, Tlp.AMBER, "second alert")  # same shape, other values
    red = _carrier_copy(key_a, Tlp.RED, "red alert")  # same fields, another marking
    whole = sign_object(suspect_shipment_object(Tlp.AMBER), key_a).to_stix()  # more fields
    objects = [allowed, alike, red, whole, alike, red]
    verdicts = check_objects(objects, context)
    assert verdicts == _one_by_one(objects, context)
    assert [v.agreement_id if v else None for v in verdicts[:2]] == ["cmaa-a-b-2026"] * 2
    assert [v.check if v else None for v in verdicts[2:4]] == ["agreement", "agreement"]
    assert verdicts[2] is not None and "above the TLP:AMBER" in verdicts[2].detail
    assert verdicts[3] is not None and "shipment.declaration_reference" in verdicts[3].detail
    assert verdicts[2].object_id == red["id"] and verdicts[3].object_id == whole["id"]


def test_an_individual_is_not_taken_for_an_organisation_of_the_same_shape(key_a: SigningKey) -> None:
    context = _context(key_a, "customs-c")
    organisation = {**suspect_party_object(), "identity_class": "organization", "name": "Acme Freight"}
    individual = suspect_party_object()
    objects = [sign_object(organisation, key_a).to_stix(), sign_object(individual, key_a).to_stix()]
    verdicts = check_objects(objects, context)
    assert verdicts == _one_by_one(objects, context)
    assert verdicts[0] is not None and verdicts[0].check is None
    assert (
        verdicts[1] is not None and verdicts[1].check == "agreement" and "personal data" in verdicts[1].detail
    )


@pytest.mark.parametrize(
    "value",
    [2**60, float("nan"), "\ud800", ["fine", "\udc80"]],
    ids=["integer beyond 2^53", "NaN", "lone surrogate", "surrogate in a list"],
)
def test_a_value_without_canonical_form_is_refused_not_raised(key_a: SigningKey, value: Any) -> None:
    wire = sign_object(suspect_shipment_object(), key_a).to_stix()
    forged = copy.deepcopy(wire)
    forged["extensions"][SHIPMENT_EXTENSION_ID]["consignee_name"] = value
    verdicts = check_objects([forged, wire], _context(key_a, "customs-b"))
    assert verdicts[0] is not None and verdicts[0].check == "format"
    assert "shipment.consignee_name" in verdicts[0].detail
    assert verdicts[1] is not None and verdicts[1].check is None


def test_a_header_without_canonical_form_is_refused_not_raised(key_a: SigningKey, keyring: Keyring) -> None:
    wire = sign_object(suspect_shipment_object(), key_a).to_stix()
    provenance = next(ext for ext in wire["extensions"].values() if "header" in ext)
    provenance["header"]["commitments"][0] = "\ud800"
    verdict = check_objects([wire], _context(key_a, "customs-b"))[0]
    assert verdict is not None and verdict.check == "format"
