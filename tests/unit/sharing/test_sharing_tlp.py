from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplyguard.sharing import TLP_MARKING_IDS, Tlp, tlp_marking_definition, tlp_of
from supplyguard.sharing.tlp import TLP_EXTENSION_DEFINITION_ID


def test_marking_ids_are_the_official_tlp_2_0_ids(stix_data: Path) -> None:
    bundle = json.loads((stix_data / "tlp" / "tlp-2.0-markings.json").read_text(encoding="utf-8"))
    official = {
        obj["extensions"][TLP_EXTENSION_DEFINITION_ID]["tlp_2_0"]: obj["id"]
        for obj in bundle["objects"]
        if obj["type"] == "marking-definition"
    }
    assert official == {level.value: marking_id for level, marking_id in TLP_MARKING_IDS.items()}
    by_id = {obj["id"]: obj for obj in bundle["objects"]}
    for level in Tlp:
        assert tlp_marking_definition(level) == by_id[level.marking_id]


def test_levels_are_ordered_from_clear_to_red() -> None:
    ranks = [level.rank for level in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == 5


@pytest.mark.parametrize(
    ("text", "level"),
    [("amber+strict", Tlp.AMBER_STRICT), ("TLP:RED", Tlp.RED), ("AMBER_STRICT", Tlp.AMBER_STRICT)],
)
def test_parse_accepts_the_usual_spellings(text: str, level: Tlp) -> None:
    assert Tlp.parse(text) is level


def test_parse_refuses_tlp_1_white() -> None:
    with pytest.raises(ValueError, match=r"not a TLP 2\.0 level"):
        Tlp.parse("white")


def test_tlp_of_takes_the_most_restrictive_marking() -> None:
    marked = {"object_marking_refs": [Tlp.GREEN.marking_id, Tlp.RED.marking_id]}
    assert tlp_of(marked) is Tlp.RED
    assert tlp_of({"object_marking_refs": []}) is None


def test_only_clear_green_and_amber_may_be_passed_on() -> None:
    assert [level for level in Tlp if level.allows_onward_transfer] == [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER]
