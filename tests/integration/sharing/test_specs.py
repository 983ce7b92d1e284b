"""Intelligence descriptions (what `intel publish FILE` reads) become valid STIX, or clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.sharing import SEIZURE_EXTENSION_ID, Tlp, tlp_of
from tests.integration.sharing.nodes import SUSPECT

AUTHOR = "identity--8b3a5f2c-1111-5222-8333-944455556666"
NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)


def test_every_kind_builds() -> None:
    specs = [
        SUSPECT,
        {
            "kind": "seizure",
            "name": "Seizure",
            "seized_at": "2026-11-20",
            "shipment": {"container_numbers": ["CSQU3054383"]},
        },
        {
            "kind": "suspect-party",
            "name": "Golden Harbor",
            "roles": ["consignee"],
            "tax_ids": [{"value": "123", "country": "NL"}],
        },
        {"kind": "concealment-method", "name": "False floor", "category": "structural"},
        {
            "kind": "indicator",
            "name": "IMO watch",
            "pattern": "[x-supplyguard-consignment:vessel_imo = '9074729']",
        },
        {
            "kind": "note",
            "content": "Seen twice",
            "object_refs": ["indicator--6f1b1f58-3c2e-4d0a-9a43-58a0c1f4e2b7"],
        },
    ]
    types = [build_from_spec(spec, AUTHOR, NOW)["type"] for spec in specs]
    assert types == ["indicator", "incident", "identity", "attack-pattern", "indicator", "note"]
    seizure = build_from_spec(specs[1], AUTHOR, NOW)
    assert seizure["extensions"][SEIZURE_EXTENSION_ID]["container_numbers"] == ["CSQU3054383"]
    assert tlp_of(seizure) is Tlp.AMBER and seizure["created_by_ref"] == AUTHOR


def test_same_key_same_id_and_errors_are_located() -> None:
    assert build_from_spec(SUSPECT, AUTHOR, NOW)["id"] == build_from_spec(SUSPECT, AUTHOR, NOW)["id"]
    for bad, where in (
        ({"kind": "rumour"}, "kind"),
        ({**SUSPECT, "tlp": "purple"}, "tlp"),
        ({"kind": "seizure", "name": "x", "seized_at": "soon"}, "seized_at"),
        ({**SUSPECT, "shipment": {"container_numbers": ["CSQU3054384"]}}, None),
    ):
        with pytest.raises(ValidationFailed) as failed:
            build_from_spec(bad, AUTHOR, NOW)
        if where is not None:
            assert failed.value.errors[0].location[0] == where
