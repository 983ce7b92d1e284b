from __future__ import annotations

import pytest

from supplyguard.tracking import gs1_check_digit, normalise_gs1_uri
from supplyguard.tracking.epcis_hash import canonical_value, normalise_timestamp


def test_check_digit() -> None:
    assert gs1_check_digit("0401234511111") == "8"
    assert gs1_check_digit("401234500001") == "6"
    assert gs1_check_digit("629104150021") == "3"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("urn:epc:id:sgtin:4012345.011111.9876", "https://id.gs1.org/01/04012345111118/21/9876"),
        ("urn:epc:id:sscc:4012345.3111111111", "https://id.gs1.org/00/340123451111111111"),
        ("urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"),
        ("urn:epc:id:sgln:4012345.00005.122", "https://id.gs1.org/414/4012345000054/254/122"),
        ("urn:epc:id:pgln:999999999999.", "https://id.gs1.org/417/9999999999994"),
        ("urn:epc:class:lgtin:4012345.012345.Lot987", "https://id.gs1.org/01/04012345123456/10/Lot987"),
        ("urn:epc:idpat:sgtin:4054739.099914.*", "https://id.gs1.org/01/04054739999148"),
        (
            "https://example.com/gtin/09780345418913/21/765tz?abc=1",
            "https://id.gs1.org/01/09780345418913/21/765tz",
        ),
        ("https://id.gs1.de/414/4012345000115", "https://id.gs1.org/414/4012345000115"),
        ("https://id.gs1.org/01/4012345111118/10/L1/21/9", "https://id.gs1.org/01/04012345111118/21/9"),
    ],
)
def test_identifiers_become_constrained_digital_links(uri: str, expected: str) -> None:
    assert normalise_gs1_uri(uri) == expected


@pytest.mark.parametrize(
    "value", ["OBSERVE", "urn:epc:id:sgtin:4012345.011111", "https://example.com/page", "geo:47.5,11.1"]
)
def test_other_values_are_not_gs1_identifiers(value: str) -> None:
    assert normalise_gs1_uri(value) is None


def test_value_canonicalisation() -> None:
    assert canonical_value("26.0") == "26"
    assert canonical_value("0.50") == "0.5"
    assert canonical_value("urn:epcglobal:cbv:bizstep:shipping") == "https://ref.gs1.org/cbv/BizStep-shipping"
    assert canonical_value("P3Y") == "P3Y"


def test_timestamps_round_to_milliseconds_in_utc() -> None:
    assert normalise_timestamp("2023-02-02T11:04:03.1415Z") == "2023-02-02T11:04:03.142Z"
    assert normalise_timestamp("2022-02-16T20:33:31.116000-06:00") == "2022-02-17T02:33:31.116Z"
    assert normalise_timestamp("2022-02-16T23:59:59.9996Z") == "2022-02-17T00:00:00.000Z"
    assert normalise_timestamp("not a time") == "not a time"
