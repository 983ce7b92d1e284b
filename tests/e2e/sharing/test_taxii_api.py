"""TAXII endpoints through the ASGI app: media type, views, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from supplyguard.api.app import create_app
from supplyguard.services.accounts import create_token
from supplyguard.services.sharing_partners import register_partner
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.services.sharing_sync import collection_id_for
from tests.factories import make_user
from tests.integration.sharing.nodes import SUSPECT, SharingTestNode, make_sharing_node, sqlite_settings

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def api(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    a = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "test.node"), "Customs A")
    b = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "customs-b"), "Customs B")
    with a.container.uow(readonly=True) as uow:
        org = uow.accounts.list_orgs()[0]
    make_user(a.container, org, "partner-b", ("partner",))
    make_user(a.container, org, "anna", ("analyst",))
    make_user(a.container, org, "lonely", ("partner",))
    register_partner(a.container.uow(), a.clock, a.admin, b.partner_input(username="partner-b"))
    tokens = {
        name: create_token(a.container.uow(), a.clock, None, name, "t").token
        for name in ("partner-b", "anna", "lonely")
    }
    publish(a, "one")
    publish(a, "two", tlp="red")  # beyond every recipient: only local staff see it
    base = f"/v1/taxii2/api/collections/{collection_id_for('test.node')}/"
    with TestClient(create_app(a.container), raise_server_exceptions=False) as client:
        yield client, tokens, base
    a.container.close()
    b.container.close()


def publish(node: SharingTestNode, key: str, tlp: str = "amber") -> None:
    stix = build_from_spec({**SUSPECT, "key": key, "tlp": tlp}, node.node.author_ref, node.clock.now())
    publish_object(node.container.uow(), node.admin, node.node, stix)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": TAXII}


def test_partner_and_staff_views(api: tuple[TestClient, dict[str, str], str]) -> None:
    client, tokens, base = api
    partner = client.get(base + "objects/", headers=auth(tokens["partner-b"]))
    assert partner.status_code == 200 and partner.headers["content-type"] == TAXII
    assert len(partner.json()["objects"]) == 1
    assert partner.headers["X-SupplyGuard-Last-Position"] == "1"
    staff = client.get(base + "objects/", headers=auth(tokens["anna"]))
    assert len(staff.json()["objects"]) == 2
    discovery = client.get("/v1/taxii2/", headers=auth(tokens["partner-b"])).json()
    assert discovery["api_roots"][0].endswith("/v1/taxii2/api/")


def test_taxii_errors(api: tuple[TestClient, dict[str, str], str]) -> None:
    client, tokens, base = api
    headers = auth(tokens["partner-b"])
    assert client.get(base + "objects/", params={"next": "garbage"}, headers=headers).status_code == 422
    assert (
        client.get(base + "objects/", params={"match[version]": "first"}, headers=headers).status_code == 422
    )
    assert (
        client.get(base + "objects/", params={"added_after": "yesterday"}, headers=headers).status_code == 422
    )
    assert (
        client.get(
            base.replace("api/collections/", "api/collections/x") + "objects/", headers=headers
        ).status_code
        == 404
    )
    assert client.get(base + "objects/indicator--nope/", headers=headers).status_code == 404
    assert client.get(base + "objects/", headers=auth(tokens["lonely"])).status_code == 403
    later = client.get(base + "objects/", params={"added_after": "2030-01-01T00:00:00Z"}, headers=headers)
    assert later.status_code == 200 and "objects" not in later.json()
