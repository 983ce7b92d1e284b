"""Our TAXII 2.1 server, read by the independent taxii2-client package over a real socket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from taxii2client.v21 import Collection, Server, as_pages

from supplyguard.adapters.sharing_keys import load_partner_token
from supplyguard.services.sharing_publish import publish_object
from supplyguard.services.sharing_specs import build_from_spec
from supplyguard.sharing import Keyring, SignedObject, verify_object
from supplyguard.sharing.requests import sign_request
from tests.e2e.sharing.conftest import LiveNode, connect
from tests.integration.sharing.nodes import SUSPECT


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class NodeSignedAuth(BearerAuth):
    """The partner's token plus its node signature on every request, as a requests auth plugin:
    any TAXII client that lets you add headers can talk to a supplyguard node."""

    def __init__(self, puller: LiveNode, publisher: LiveNode) -> None:
        super().__init__(token_of(puller, publisher))
        self.node = puller.node

    def __call__(self, request: Any) -> Any:
        request = super().__call__(request)
        path, _, query = request.path_url.partition("?")
        body = request.body or b""
        request.headers.update(
            sign_request(
                self.node.node.key,
                method=request.method,
                path=path,
                query=query,
                body=body.encode() if isinstance(body, str) else body,
                created=self.node.clock.now(),
            )
        )
        return request


def publish(live: LiveNode, **overrides: Any) -> str:
    node = live.node
    stix = build_from_spec({**SUSPECT, **overrides}, node.node.author_ref, node.clock.now())
    return publish_object(node.container.uow(), node.admin, node.node, stix).held.stix_id


@pytest.fixture
def three(start: Callable[[str, str], LiveNode]) -> tuple[LiveNode, LiveNode, LiveNode]:
    a, b, c = (
        start("test.node", "Customs A"),
        start("customs-b", "Customs B"),
        start("carrier-x", "Carrier X"),
    )
    connect(a, b)
    connect(a, c)
    return a, b, c


def token_of(puller: LiveNode, publisher: LiveNode) -> str:
    token = load_partner_token(puller.node.container.settings.keys_dir, publisher.node.node_id)
    assert token is not None
    return token


def test_taxii2_client_discovers_pages_and_filters(three: tuple[LiveNode, LiveNode, LiveNode]) -> None:
    a, b, _ = three
    ids = [publish(a, key=f"alert-{n}") for n in range(3)]
    auth = NodeSignedAuth(b, a)
    server = Server(f"{a.url}/v1/taxii2/", auth=auth)
    assert "test.node" in server.title
    root = server.api_roots[0]
    assert root.versions == ["application/taxii+json;version=2.1"]
    collection = root.collections[0]
    assert collection.can_read and collection.url == a.collection_url

    pages = list(as_pages(collection.get_objects, per_request=2))
    assert [len(p.get("objects", [])) for p in pages] == [2, 1]
    assert [o["id"] for p in pages for o in p["objects"]] == ids

    manifest = collection.get_manifest()
    assert [m["id"] for m in manifest["objects"]] == ids
    assert all(m["media_type"] == "application/stix+json;version=2.1" for m in manifest["objects"])
    assert "objects" not in collection.get_objects(type="incident")
    assert [o["id"] for o in collection.get_objects(id=ids[1])["objects"]] == [ids[1]]
    assert len(collection.object_versions(ids[0])["versions"]) == 1
    assert collection.get_object(ids[2])["objects"][0]["id"] == ids[2]


def test_next_cursor_is_repeatable(three: tuple[LiveNode, LiveNode, LiveNode]) -> None:
    a, b, _ = three
    for n in range(3):
        publish(a, key=f"alert-{n}")
    collection = Collection(a.collection_url, auth=NodeSignedAuth(b, a))
    first = collection.get_objects(limit=1)
    second = collection.get_objects(limit=1, next=first["next"])
    retried = collection.get_objects(limit=1, next=first["next"])
    assert second["objects"] == retried["objects"]
    assert second["objects"][0]["id"] != first["objects"][0]["id"]


def test_each_partner_sees_its_own_compiled_copy(three: tuple[LiveNode, LiveNode, LiveNode]) -> None:
    a, b, c = three
    publish(a)
    whole = Collection(a.collection_url, auth=NodeSignedAuth(b, a)).get_objects()["objects"][0]
    redacted = Collection(a.collection_url, auth=NodeSignedAuth(c, a)).get_objects()["objects"][0]
    assert "Golden Harbor" in str(whole)
    assert "Golden Harbor" not in str(redacted) and "DECL-A-17" not in str(redacted)
    keyring = Keyring([a.node.node.key.trusted()])
    verify_object(SignedObject.from_stix(redacted), keyring)
    verify_object(SignedObject.from_stix(whole), keyring)


def test_without_credentials_the_feed_is_closed(three: tuple[LiveNode, LiveNode, LiveNode]) -> None:
    a, b, _ = three
    response = requests.get(a.collection_url + "objects/", timeout=10)
    assert response.status_code == 401
    stranger = requests.get(
        a.collection_url + "objects/", headers={"Authorization": "Bearer not-a-token"}, timeout=10
    )
    assert stranger.status_code == 401
    # a partner's token without its node signature opens nothing either
    unsigned = Collection(a.collection_url, auth=BearerAuth(token_of(b, a)))
    with pytest.raises(requests.HTTPError) as refused:
        unsigned.get_objects()
    assert refused.value.response.status_code == 401
    assert "(missing)" in refused.value.response.json()["detail"]
