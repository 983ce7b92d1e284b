from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
EPCIS_DATA = SHARED_DATA / "epcis"


@pytest.fixture
def epcis_data() -> Path:
    if not EPCIS_DATA.is_dir():
        pytest.skip(f"shared EPCIS test data not found at {EPCIS_DATA}")
    return EPCIS_DATA
