from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.sharing import Agreement, Keyring, SigningKey, StixSchemaValidator, parse_agreement
from tests.unit.sharing.sharing_factories import AUTHOR_A, AUTHOR_B, EXAMPLE_AGREEMENT, STIX_DATA


@pytest.fixture(scope="session")
def stix_data() -> Path:
    if not STIX_DATA.is_dir():
        pytest.skip(f"shared STIX data not found at {STIX_DATA}")
    return STIX_DATA


@pytest.fixture(scope="session")
def validator(stix_data: Path) -> StixSchemaValidator:
    return StixSchemaValidator.from_directory(stix_data / "schemas")


@pytest.fixture(scope="session")
def agreement() -> Agreement:
    return parse_agreement(EXAMPLE_AGREEMENT.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def key_a() -> SigningKey:
    return SigningKey.from_private_bytes("customs-a", AUTHOR_A, bytes(range(32)))


@pytest.fixture(scope="session")
def key_b() -> SigningKey:
    return SigningKey.from_private_bytes("customs-b", AUTHOR_B, bytes(range(1, 33)))


@pytest.fixture
def keyring(key_a: SigningKey, key_b: SigningKey) -> Keyring:
    return Keyring([key_a.trusted(), key_b.trusted()])
