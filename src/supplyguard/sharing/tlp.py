"""TLP 2.0 markings: the official STIX 2.1 marking-definition ids and their order of restriction.

Ids are those of the OASIS ``cti-stix-common-objects`` TLP 2.0 extension; a unit test checks them
against the published bundle. ``CLEAR < GREEN < AMBER < AMBER+STRICT < RED``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

TLP_EXTENSION_DEFINITION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"


class Tlp(enum.Enum):
    """A TLP 2.0 level; ``value`` is the label used in files (``"amber+strict"``)."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def marking_id(self) -> str:
        return TLP_MARKING_IDS[self]

    @property
    def label(self) -> str:
        return "TLP:" + self.value.upper()

    @property
    def allows_onward_transfer(self) -> bool:
        """AMBER+STRICT stays inside the recipient organisation; RED stays with named recipients."""
        return self.rank <= Tlp.AMBER.rank

    @classmethod
    def parse(cls, text: str) -> Tlp:
        """``"amber+strict"``, ``"TLP:AMBER+STRICT"`` or ``"AMBER_STRICT"`` -> ``Tlp.AMBER_STRICT``."""
        key = text.strip().lower().removeprefix("tlp:").replace("_", "+")
        for level in cls:
            if level.value == key:
                return level
        raise ValueError(f"{text!r} is not a TLP 2.0 level (clear, green, amber, amber+strict, red)")


_RANK = {Tlp.CLEAR: 0, Tlp.GREEN: 1, Tlp.AMBER: 2, Tlp.AMBER_STRICT: 3, Tlp.RED: 4}

TLP_MARKING_IDS: Mapping[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_LEVEL_BY_MARKING_ID = {marking_id: level for level, marking_id in TLP_MARKING_IDS.items()}


def tlp_of(stix_object: Mapping[str, Any]) -> Tlp | None:
    """The most restrictive TLP 2.0 level among an object's ``object_marking_refs``, or None."""
    levels = [
        _LEVEL_BY_MARKING_ID[ref]
        for ref in stix_object.get("object_marking_refs", ())
        if ref in _LEVEL_BY_MARKING_ID
    ]
    return max(levels, key=lambda level: level.rank) if levels else None


def tlp_marking_definition(level: Tlp) -> dict[str, Any]:
    """The official STIX 2.1 marking-definition object of a TLP 2.0 level."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": level.marking_id,
        "created": "2022-10-01T00:00:00.000Z",
        "name": level.label,
        "extensions": {
            TLP_EXTENSION_DEFINITION_ID: {"extension_type": "property-extension", "tlp_2_0": level.value}
        },
    }
