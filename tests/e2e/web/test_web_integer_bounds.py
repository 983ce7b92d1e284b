"""The dashboard refuses an id past what the databases store (or below 1) with an HTML 422 page: the
audit page's before_id and the false-positive form's hit id. Before, SQLite's driver raised
OverflowError on them and the page answered 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from supplyguard.adapters.db.metadata import MAX_STORED_INT
from supplyguard.api.app import create_app
from tests.factories import make_org, make_user, web_login

NO_DECLARATION = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def signed_in(container) -> Iterator[tuple[TestClient, str]]:  # type: ignore[no-untyped-def]
    """A client signed in as an admin, and the CSRF token of its session."""
    make_user(container, make_org(container), "ada", ("admin",))
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client, web_login(client, "ada", "/queue")


@pytest.mark.parametrize("before_id", [MAX_STORED_INT + 1, -(2**64), 0])
def test_the_audit_page_refuses_an_id_out_of_range(signed_in: tuple[TestClient, str], before_id: int) -> None:
    client, _ = signed_in
    page = client.get(f"/audit?before_id={before_id}")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert client.get(f"/audit?before_id={MAX_STORED_INT}").status_code == 200


@pytest.mark.parametrize("hit_id", [MAX_STORED_INT + 1, -(2**64)])
def test_the_false_positive_form_refuses_a_hit_id_out_of_range(
    signed_in: tuple[TestClient, str], hit_id: int
) -> None:
    client, csrf = signed_in
    url = f"/declarations/{NO_DECLARATION}/hits/{hit_id}/false-positive"
    page = client.post(url, data={"csrf": csrf}, follow_redirects=False)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
