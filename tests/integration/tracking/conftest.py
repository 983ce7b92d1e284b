from __future__ import annotations

import json

import pytest

from supplyguard.tracking import EpcisJsonSchema
from tests.integration.tracking.epcis_data import gs1_folder


@pytest.fixture(scope="session")
def epcis_schema() -> EpcisJsonSchema:
    return EpcisJsonSchema(json.loads((gs1_folder() / "EPCIS-JSON-Schema.json").read_text()))
