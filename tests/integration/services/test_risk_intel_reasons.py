"""Reasons that show partner intelligence are for readers who may read shared intelligence: the API
and the declaration page leave them out for logistics (no trace), and show everything else."""

from __future__ import annotations

import re
import uuid
from datetime import date

from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.model.declarations import Lane
from supplyguard.model.organisations import Principal, Role
from supplyguard.risk.explain import describe_factor
from supplyguard.risk.features import FEATURE_INDEX, FEATURE_NAMES
from supplyguard.risk.records import DeclarationRow
from supplyguard.risk.signals import RiskSignal, SignalSource, is_intel_reason
from supplyguard.services.accounts import create_token
from supplyguard.services.declarations import submit_declaration
from supplyguard.services.risk_signals import raise_signal, reasons_for_reader
from tests.factories import admin_principal, declaration_data, make_org, make_user

PASSWORD = "correct horse battery"
INTEL = RiskSignal(
    SignalSource.INTEL, "indicator--1", "party_match", 0.3, "consignee named in a seizure", Lane.RED
)
SEAL = RiskSignal(SignalSource.TRACKING, "alert-1", "seal_opened", 0.2, "seal opened at sea")
REASONS = [
    "intel: consignee named in a seizure",
    "tracking: seal opened at sea",
    "rule INTEL v1 adds 0.20: intel_signals 1 >= 1",
    "priority 0.91 within red capacity",
    "importer first seen 3 days ago",
]


def _reader(*roles: Role) -> Principal:
    return Principal(uuid.uuid4(), uuid.uuid4(), "reader", frozenset(roles), "test", "api")


def test_only_readers_of_shared_intelligence_see_intel_reasons() -> None:
    row = DeclarationRow(
        "1", date(2021, 1, 4), "30", "B", "11", "21", "11", "10", "D", "I", "S", "", "850440", "CN", "CN",
        8.0, "A", "G", 10.0, 100.0,
    )  # fmt: skip
    vector = [0.0] * len(FEATURE_NAMES)
    vector[FEATURE_INDEX["intel_signals"]] = 2.0
    assert is_intel_reason(describe_factor("intel_signals", row, vector))  # the model's factor in words
    assert not is_intel_reason(describe_factor("tracking_alerts", row, vector))
    for role in (Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST, Role.AUDITOR):
        assert reasons_for_reader(_reader(role), REASONS) == tuple(REASONS)
    for roles in ((Role.LOGISTICS,), (Role.PARTNER,), ()):
        assert reasons_for_reader(_reader(*roles), REASONS) == (
            "tracking: seal opened at sea",
            "priority 0.91 within red capacity",
            "importer first seen 3 days ago",
        )
    assert reasons_for_reader(_reader(Role.LOGISTICS, Role.ANALYST), REASONS) == tuple(REASONS)


def _web_reasons(client: TestClient, username: str, declaration_id: uuid.UUID) -> str:
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None
    done = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": token.group(1), "next": "/queue"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    page = client.get(f"/declarations/{declaration_id}")
    assert page.status_code == 200
    client.cookies.clear()
    return page.text


def test_the_api_and_the_declaration_page_hide_intel_reasons_from_logistics(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    admin = admin_principal(org)
    declaration = submit_declaration(
        container.uow(), container.clock, container.refdata, container.signer, admin, declaration_data("IR-1")
    )
    uow = container.uow()
    with uow:
        raise_signal(uow, org.id, declaration.id, INTEL, container.clock.now())
        raise_signal(uow, org.id, declaration.id, SEAL, container.clock.now())
        uow.commit()
    tokens = {}
    for username, role in (("lou", "logistics"), ("ana", "analyst")):
        make_user(container, org, username, (role,), PASSWORD)
        tokens[username] = create_token(container.uow(), container.clock, None, username, "test").token
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        seen = {}
        for username, token in tokens.items():
            answer = client.get(
                f"/v1/declarations/{declaration.id}", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 200, answer.text
            seen[username] = answer.json()
        pages = {username: _web_reasons(client, username, declaration.id) for username in tokens}
    assert "intel: consignee named in a seizure" in seen["ana"]["risk_reasons"]
    assert "tracking: seal opened at sea" in seen["ana"]["risk_reasons"]
    assert seen["lou"]["risk_reasons"] == ["tracking: seal opened at sea"]
    assert seen["lou"]["lane"] == seen["ana"]["lane"] == "red"  # the lane itself is not hidden
    assert "consignee named in a seizure" in pages["ana"] and "seal opened at sea" in pages["ana"]
    assert "consignee named in a seizure" not in pages["lou"] and "seal opened at sea" in pages["lou"]
