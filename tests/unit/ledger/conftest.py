from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
MERKLE_DATA = SHARED_DATA / "merkle"


@pytest.fixture
def merkle_data() -> Path:
    if not MERKLE_DATA.is_dir():
        pytest.skip(f"shared Merkle test data not found at {MERKLE_DATA}")
    return MERKLE_DATA
