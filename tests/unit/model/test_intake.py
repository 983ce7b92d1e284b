from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.model.intake import parse_declaration
from supplyguard.model.refdata import load_reference_data
from tests.factories import declaration_data

ORG = uuid.UUID(int=7)
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def parse(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_declaration(data, org_id=ORG, received_at=NOW, refdata=load_reference_data())


def errors_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        parse(data)
    return {".".join(str(p) for p in e.location): e.message for e in info.value.errors}


def test_a_valid_declaration_parses_with_computed_duty() -> None:
    declaration = parse(declaration_data())
    item = declaration.items[0]
    assert declaration.reference == "REF-1"
    assert declaration.importer.code == "IMP1" and declaration.importer.country == "NL"
    assert declaration.declarant is not None and declaration.declarant.code == "DCL1"
    assert item.duty == pytest.approx(99.9)
    assert declaration.containers == ("CSQU3054383",)


def test_every_bad_field_is_named_at_once() -> None:
    data = declaration_data(
        containers=["CSQU3054384"],
        items=[{"hs_code": "999999", "origin_country": "XQ", "net_mass_kg": -1, "value": "abc"}],
    )
    del data["office_id"]
    found = errors_of(data)
    assert found["office_id"] == "is required"
    assert "check digit" in found["containers.0"]
    assert "not an HS2017 subheading" in found["items.0.hs_code"]
    assert "not an ISO 3166-1 alpha-2" in found["items.0.origin_country"]
    assert "must not be negative" in found["items.0.net_mass_kg"]
    assert "must be a number" in found["items.0.value"]


def test_hs_edition_follows_the_declaration_date() -> None:
    refdata = load_reference_data()
    dropped = next(code for code in refdata.hs2017 if code not in refdata.hs2022)
    added = next(code for code in refdata.hs2022 if code not in refdata.hs2017)
    item = declaration_data()["items"][0]
    assert parse(declaration_data(declared_on="2021-12-31", items=[{**item, "hs_code": dropped}]))
    assert (
        "HS2022"
        in errors_of(declaration_data(declared_on="2022-01-01", items=[{**item, "hs_code": dropped}]))[
            "items.0.hs_code"
        ]
    )
    assert parse(declaration_data(declared_on="2022-06-01", items=[{**item, "hs_code": added}]))
    assert (
        "HS2017"
        in errors_of(declaration_data(declared_on="2021-06-01", items=[{**item, "hs_code": added}]))[
            "items.0.hs_code"
        ]
    )


@pytest.mark.parametrize(
    ("change", "location", "fragment"),
    [
        ({"declared_on": "2021-02-30"}, "declared_on", "must be a date"),
        ({"declared_on": "2099-01-01"}, "declared_on", "more than a year in the future"),
        ({"importer": None}, "importer", "is required"),
        ({"importer": 12.5}, "importer", "party code"),
        ({"reference": "x" * 201}, "reference", "longer than"),
        ({"reference": "bad\x00ref"}, "reference", "control characters"),
        ({"reference": "lone \ud800 surrogate"}, "reference", "invalid Unicode"),
        ({"items": []}, "items", "non-empty list"),
        ({"items": "not a list"}, "items", "non-empty list"),
        ({"containers": [7]}, "containers.0", "must be text"),
    ],
)
def test_bad_values_get_clear_messages(change: dict[str, Any], location: str, fragment: str) -> None:
    assert fragment in errors_of(declaration_data(**change))[location]


def test_wrong_types_in_items_are_refused_not_crashing() -> None:
    found = errors_of(
        declaration_data(items=[{"hs_code": True, "origin_country": ["NL"], "net_mass_kg": {}, "value": 1}])
    )
    assert (
        "hs_code" in "".join(found) and "items.0.origin_country" in found and "items.0.net_mass_kg" in found
    )


def test_unknown_country_zz_is_accepted_as_not_known() -> None:
    item = {**declaration_data()["items"][0], "origin_country": "ZZ"}
    assert parse(declaration_data(items=[item])).items[0].origin_country == "ZZ"


def test_a_non_object_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        parse(["not", "an", "object"])  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["inf", "nan", float("inf"), "-0.5", "1e400"])
def test_non_finite_and_negative_numbers_are_refused(value: object) -> None:
    item = {**declaration_data()["items"][0], "value": value}
    assert "items.0.value" in errors_of(declaration_data(items=[item]))
