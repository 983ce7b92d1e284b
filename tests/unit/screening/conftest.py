from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.screening import ListEntry, ListSnapshot, Screener, read_list

SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
SCREENING = SHARED_DATA / "screening"


def shared(relative: str) -> Path:
    path = SCREENING / relative
    if not path.exists():
        pytest.skip(f"screening data not found at {path} (../shared/data/screening)")
    return path


@pytest.fixture(scope="session")
def sdn() -> ListSnapshot:
    return read_list(shared("ofac/sdn-2021-07"))


@pytest.fixture(scope="session")
def un_entries() -> tuple[ListEntry, ...]:
    return read_list(shared("un/UN_consolidated-2026-02-27.xml")).entries


@pytest.fixture(scope="session")
def small_screener(un_entries: tuple[ListEntry, ...]) -> Screener:
    cons = read_list(shared("ofac/consolidated-2025-12")).entries
    return Screener.build([*un_entries, *cons, *_sample_entries()])


def _sample_entries() -> list[ListEntry]:
    from supplyguard.screening import Alias, EntityKind, Identifier

    return [
        ListEntry(
            "ofac-sdn",
            "16688",
            EntityKind.PERSON,
            "IVANOV, Sergei",
            aliases=(Alias("IVANOV, Sergey"),),
            dates_of_birth=("31 Jan 1953",),
            countries=("Russia",),
        ),
        ListEntry(
            "ofac-sdn",
            "900",
            EntityKind.ORGANISATION,
            "STG-EKO LLC",
            aliases=(Alias("OOO STG-EKO"),),
            countries=("RU",),
            identifiers=(Identifier("Registration Number", "1027700167110"),),
        ),
        ListEntry(
            "ofac-sdn", "901", EntityKind.VESSEL, "SAND SWAN", identifiers=(Identifier("IMO", "9187629"),)
        ),
    ]
