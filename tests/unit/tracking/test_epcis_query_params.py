"""The EPCIS query parameters the API declares are the ones the query reads."""

from __future__ import annotations

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.tracking import epcis_query
from supplyguard.tracking.epcis_query import PARAMETERS, EventQuery


def test_every_parameter_read_is_described_and_no_other() -> None:
    assert set(PARAMETERS) == epcis_query._KNOWN
    assert all(kind in ("string", "number", "integer") and words for kind, words in PARAMETERS.values())


def test_a_parameter_not_described_is_refused_by_name() -> None:
    with pytest.raises(ValidationFailed) as refused:
        EventQuery.from_params({"MATCH_inputEPC": "urn:epc:id:sgtin:0614141.107346.2018"})
    assert refused.value.errors[0].location == ("MATCH_inputEPC",)
