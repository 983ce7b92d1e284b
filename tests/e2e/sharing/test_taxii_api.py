"""TAXII endpoints through the ASGI app: media type, views, errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.api.app import create_app
from supplyguard.services.accounts import create_token
from supplyguard.services.sharing_partners import register_partner
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.services.sharing_sync import collection_id_for
from supplyguard.sharing import SigningKey
from supplyguard.sharing.requests import sign_request
from tests.factories import make_user
from tests.integration.sharing.nodes import SUSPECT, SharingTestNode, make_sharing_node, sqlite_settings
from tests.openapi_doc import assert_as_declared

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def api(tmp_path: Path, sqlite_template: Path) -> Iterator[Api]:
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
        yield Api(client, tokens, base, a, b)
    a.container.close()
    b.container.close()


def publish(node: SharingTestNode, key: str, tlp: str = "amber") -> None:
    stix = build_from_spec({**SUSPECT, "key": key, "tlp": tlp}, node.node.author_ref, node.clock.now())
    publish_object(node.container.uow(), node.admin, node.node, stix)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": TAXII}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    base: str
    a: SharingTestNode
    b: SharingTestNode

    def get_as_b(self, target: str) -> Any:
        """GET with partner B's token, signed with B's node key (what B's sync client does)."""
        return self.client.get(target, headers=self.signed(target))

    def signed(
        self,
        target: str,
        *,
        key: SigningKey | None = None,
        body: bytes = b"",
        created: datetime | None = None,
        token: str = "partner-b",  # noqa: S107 - a user name, not a secret
    ) -> dict[str, str]:
        path, _, query = target.partition("?")
        headers = sign_request(
            key or self.b.node.key,
            method="GET",
            path=path,
            query=query,
            body=body,
            created=created or self.a.clock.now(),
        )
        return {**auth(self.tokens[token]), **headers}


def test_partner_and_staff_views(api: Api) -> None:
    client, tokens, base = api.client, api.tokens, api.base
    partner = api.get_as_b(base + "objects/")
    assert partner.status_code == 200 and partner.headers["content-type"] == TAXII
    assert len(partner.json()["objects"]) == 1
    assert partner.headers["X-SupplyGuard-Last-Position"] == "1"
    assert partner.headers["content-length"] == str(len(partner.content))  # sent in parts, sized
    staff = client.get(base + "objects/", headers=auth(tokens["anna"]))
    assert len(staff.json()["objects"]) == 2
    discovery = api.get_as_b("/v1/taxii2/").json()
    assert discovery["api_roots"][0].endswith("/v1/taxii2/api/")


def test_every_taxii_resource_is_what_the_openapi_document_declares(api: Api) -> None:
    spec = api.client.get("/v1/openapi.json").json()
    collection = "/v1/taxii2/api/collections/{collection_id}/"
    objects = api.get_as_b(api.base + "objects/?limit=1")
    object_id = objects.json()["objects"][0]["id"]
    answers = {
        "/v1/taxii2/": api.get_as_b("/v1/taxii2/"),
        "/v1/taxii2/api/": api.get_as_b("/v1/taxii2/api/"),
        "/v1/taxii2/api/collections/": api.get_as_b("/v1/taxii2/api/collections/"),
        collection: api.get_as_b(api.base),
        collection + "objects/": objects,
        collection + "manifest/": api.get_as_b(api.base + "manifest/"),
        collection + "objects/{object_id}/": api.get_as_b(api.base + f"objects/{object_id}/"),
        collection + "objects/{object_id}/versions/": api.get_as_b(
            api.base + f"objects/{object_id}/versions/"
        ),
    }
    for path, answer in answers.items():
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["content-type"] == TAXII, path
        assert_as_declared(spec, path, "get", answer)
    assert spec["paths"][collection + "manifest/"]["get"]["responses"]["200"]["content"][TAXII]["schema"] == {
        "$ref": "#/components/schemas/Manifest"
    }
    missing = api.get_as_b(api.base + "objects/indicator--nope/")
    assert missing.status_code == 404
    assert_as_declared(spec, collection + "objects/{object_id}/", "get", missing)


def test_taxii_errors(api: Api) -> None:
    base, get = api.base, api.get_as_b
    assert get(base + "objects/?next=garbage").status_code == 422
    assert get(base + "objects/?match%5Bversion%5D=first").status_code == 422
    assert get(base + "objects/?added_after=yesterday").status_code == 422
    assert get(base.replace("api/collections/", "api/collections/x") + "objects/").status_code == 404
    assert get(base + "objects/indicator--nope/").status_code == 404
    later = get(base + "objects/?added_after=2030-01-01T00%3A00%3A00Z")
    assert later.status_code == 200 and "objects" not in later.json()


def refused(response: Any, check: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert f"({check})" in response.json()["detail"]


def test_partner_requests_must_carry_a_valid_node_signature(api: Api) -> None:
    client, base = api.client, api.base
    target = base + "objects/"
    refused(client.get(target, headers=auth(api.tokens["partner-b"])), "missing")
    forged = api.signed(target)
    forged["Signature"] = "sg=:" + base64.b64encode(bytes(64)).decode() + ":"
    refused(client.get(target, headers=forged), "signature")
    wrong_key = SigningKey.generate("customs-b", api.b.node.author_ref)
    refused(client.get(target, headers=api.signed(target, key=wrong_key)), "signature")
    unknown = SigningKey.generate("customs-z", api.b.node.author_ref)
    refused(client.get(target, headers=api.signed(target, key=unknown)), "unknown")
    stale = api.a.clock.now() - timedelta(seconds=api.a.container.settings.sharing_request_max_skew_s + 1)
    refused(client.get(target, headers=api.signed(target, created=stale)), "stale")
    other_path = api.signed(base + "manifest/")
    refused(client.get(target, headers=other_path), "signature")
    tampered = api.signed(target, body=b"")
    refused(client.request("GET", target, headers=tampered, content=b'{"x": 1}'), "digest")
    del tampered["Content-Digest"]
    refused(client.request("GET", target, headers=tampered, content=b'{"x": 1}'), "signature")
    # a partner account signing as another partner's node is refused
    refused(client.get(target, headers=api.signed(target, token="lonely")), "signer")
    # each refusal of a registered partner's request is on its record (partner status, rejections)
    with api.a.container.uow(readonly=True) as uow:
        repo = SharingRepository(uow.connection)
        checks = [r.check_name for r in repo.rejections("customs-b")]
        everyone = repo.rejections()  # the unknown signer (customs-z) is only logged
        partner = repo.partner("customs-b")
    assert checks == [
        "request-signature",
        "request-signature",
        "request-stale",
        "request-signature",
        "request-digest",
        "request-signature",
        "request-signer",
    ]
    assert partner is not None and partner.verification_failures == 7 and len(everyone) == 7


def test_a_replayed_request_is_refused_even_after_a_restart(api: Api) -> None:
    target = api.base + "objects/"
    headers = api.signed(target)
    first = api.client.get(target, headers=headers)
    assert first.status_code == 200 and len(first.json()["objects"]) == 1
    refused(api.client.get(target, headers=headers), "replay")
    with TestClient(create_app(api.a.container), raise_server_exceptions=False) as restarted:
        refused(restarted.get(target, headers=headers), "replay")
        assert restarted.get(target, headers=api.signed(target)).status_code == 200


def test_staff_tokens_need_no_signature_but_a_bad_one_is_still_refused(api: Api) -> None:
    target = api.base + "objects/"
    assert api.client.get(target, headers=auth(api.tokens["anna"])).status_code == 200
    forged = api.signed(target, token="anna")
    forged["Signature"] = "sg=:" + base64.b64encode(bytes(64)).decode() + ":"
    refused(api.client.get(target, headers=forged), "signature")


def test_ledger_routes_demand_a_partners_node_signature_too(api: Api) -> None:
    """A partner account reads the ledger only with a signed request (witnesses sign theirs)."""
    for target in ("/v1/ledger/checkpoint", "/v1/ledger/leaves?start=0&end=1"):
        refused(api.client.get(target, headers=auth(api.tokens["partner-b"])), "missing")
        assert api.client.get(target, headers=api.signed(target)).status_code == 200
    assert api.client.get("/v1/ledger/checkpoint", headers=auth(api.tokens["anna"])).status_code == 200
