"""The sync's forked verification workers: same results as checking in the syncing process."""

from __future__ import annotations

import copy
import gc
import json
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from supplyguard.adapters.db.sharing_repo import SharingRepository
from supplyguard.services import sharing_sync
from supplyguard.services.sharing_feed import feed_page
from supplyguard.services.sharing_ingest import Checked
from supplyguard.services.sharing_sync import POSITION_HEADER, run_sync
from tests.e2e.sharing.conftest import LiveNode, connect
from tests.e2e.sharing.test_three_nodes import held_ids, publish
from tests.integration.sharing.nodes import SUSPECT


def test_workers_verify_every_page_and_the_sync_resumes_idempotently(
    start: Callable[[str, str], LiveNode],
) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    published = [publish(a, {**SUSPECT, "key": f"bulk-{n}"}) for n in range(23)]
    node = b.node
    first = run_sync(node.container, node.admin, "test.node", page_size=10, verify_workers=2)[0]
    assert first.error is None and first.stored == 23 and first.pages == 3 and first.rejected == 0
    assert [count for count, _ in first.committed] == [10, 10, 3]
    assert all(a < b for (_, a), (_, b) in zip(first.committed, first.committed[1:], strict=False))
    assert gc.get_freeze_count() == 0  # the heap frozen while the workers ran is collected again
    assert held_ids(b) == published
    again = run_sync(node.container, node.admin, "test.node", page_size=10, verify_workers=1)[0]
    assert again.error is None and again.received == 0


def _in_lines(
    objects: list[Any], *, object_separators: tuple[str, str] = (",", ":"), spread: Any = None
) -> bytes:
    """A last page one object a line, as a supplyguard feed writes it (each object compact unless
    ``object_separators`` say otherwise, for every object or those ``spread(index)`` picks)."""
    texts = [
        json.dumps(
            o,
            separators=object_separators if spread is None or spread(n) else (",", ":"),
            ensure_ascii=False,
        )
        for n, o in enumerate(objects)
    ]
    return ('{"more":false,"objects":[\n' + ",\n".join(texts) + "\n]}").encode()


def _claims_by(monkeypatch: pytest.MonkeyPatch, side: str) -> None:
    """Every chunk checked by one side only: the verification ``"worker"`` or the ``"syncing"``
    process (which runs the test)."""
    syncing, claim = os.getpid(), sharing_sync._claim

    def one_side(flags: Any, slot: int, chunk: int) -> bool:
        return (os.getpid() == syncing) == (side == "syncing") and claim(flags, slot, chunk)

    monkeypatch.setattr(sharing_sync, "_claim", one_side)


def _serving(body: bytes) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "application/taxii+json;version=2.1", POSITION_HEADER: "3"}
        return httpx.Response(200, content=body, headers=headers)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("form", ["compact", "lines"])
def test_workers_refuse_a_forged_object_between_genuine_ones(
    start: Callable[[str, str], LiveNode], form: str
) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    for n in range(3):
        publish(a, {**SUSPECT, "key": f"k-{n}"})
    genuine = [e.wire for e in feed_page(a.node.container.uow(readonly=True), "customs-b").entries]
    forged = copy.deepcopy(genuine[1])
    forged["valid_from"] = "2020-01-01T00:00:00.000Z"
    objects = [genuine[0], forged, genuine[2]]
    body = _in_lines(objects) if form == "lines" else json.dumps({"more": False, "objects": objects}).encode()
    node = b.node
    result = run_sync(node.container, node.admin, "test.node", transport=_serving(body), verify_workers=2)[0]
    assert result.stored == 2 and result.rejected == 1
    assert held_ids(b) == [genuine[0]["id"], genuine[2]["id"]]
    with node.container.uow(readonly=True) as uow:
        assert [r.check_name for r in SharingRepository(uow.connection).rejections("test.node")] == ["field"]


def _claim_all_then_fail(slot: int, start: int, size: int) -> Any:
    for chunk in range(sharing_sync.CHUNKS):
        sharing_sync._claim(sharing_sync._claims, slot, chunk)
    raise RuntimeError("worker lost")


def test_objects_a_failed_worker_claimed_are_checked_where_they_are_stored(
    start: Callable[[str, str], LiveNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    for n in range(3):
        publish(a, {**SUSPECT, "key": f"k-{n}"})
    genuine = [e.wire for e in feed_page(a.node.container.uow(readonly=True), "customs-b").entries]
    forged = copy.deepcopy(genuine[1])
    forged["valid_from"] = "2020-01-01T00:00:00.000Z"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={"more": False, "objects": [genuine[0], forged, genuine[2]]},
            headers={"Content-Type": "application/taxii+json;version=2.1", POSITION_HEADER: "3"},
        )

    monkeypatch.setattr(sharing_sync, "_check_page", _claim_all_then_fail)
    node = b.node
    result = run_sync(
        node.container, node.admin, "test.node", transport=httpx.MockTransport(handler), verify_workers=1
    )[0]
    assert result.error is None and result.stored == 2 and result.rejected == 1
    assert held_ids(b) == [genuine[0]["id"], genuine[2]["id"]]


class _Limits(httpx.HTTPTransport):
    """A real network that notes the ``limit`` each page request asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.limits.append(int(request.url.params["limit"]))
        return super().handle_request(request)


def test_the_first_page_is_small_and_the_others_full_size(
    start: Callable[[str, str], LiveNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sharing_sync, "FIRST_PAGE", 4)
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    published = [publish(a, {**SUSPECT, "key": f"first-{n}"}) for n in range(23)]
    network = _Limits()
    node = b.node
    result = run_sync(node.container, node.admin, "test.node", page_size=10, transport=network)[0]
    assert result.error is None and result.stored == 23 and result.pages == 3
    assert network.limits == [4, 10, 10] and held_ids(b) == published
    again = run_sync(node.container, node.admin, "test.node", page_size=2, transport=_Limits())[0]
    assert again.error is None and again.received == 0


def test_the_syncing_process_does_not_parse_pages_its_worker_verified(
    start: Callable[[str, str], LiveNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    published = [publish(a, {**SUSPECT, "key": f"unread-{n}"}) for n in range(23)]
    parsed: list[int] = []  # objects parsed in the syncing process (a forked worker has its own list)
    parse_page = sharing_sync.parse_page

    def noted(body: bytes) -> Any:
        value = parse_page(body)
        if value.get("objects") or "type" in value:  # not the envelope of a page held in lines
            parsed.append(os.getpid())
        return value

    monkeypatch.setattr(sharing_sync, "parse_page", noted)
    _claims_by(monkeypatch, "worker")
    node = b.node
    result = run_sync(node.container, node.admin, "test.node", page_size=10, verify_workers=1)[0]
    assert result.error is None and result.stored == 23 and result.pages == 3 and result.rejected == 0
    assert held_ids(b) == published and parsed == []
    # Pulled again from the start: every object is held, so each page is read and checked here.
    with node.container.uow() as uow:
        SharingRepository(uow.connection).record_sync("test.node", 0, node.clock.now())
        uow.commit()
    again = run_sync(node.container, node.admin, "test.node", page_size=10, verify_workers=1)[0]
    assert again.error is None and again.stored == 0 and again.duplicates == 23 and parsed


def test_a_page_that_is_not_an_envelope_fails_the_sync_with_workers(
    start: Callable[[str, str], LiveNode],
) -> None:
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=b'{"more": false, "objects": {"not": "a list"}}',
            headers={"Content-Type": "application/taxii+json;version=2.1", POSITION_HEADER: "3"},
        )

    node = b.node
    result = run_sync(
        node.container, node.admin, "test.node", transport=httpx.MockTransport(handler), verify_workers=1
    )[0]
    assert result.error is not None and "not a list" in result.error and result.stored == 0
    with node.container.uow(readonly=True) as uow:
        partner = SharingRepository(uow.connection).partner("test.node")
    assert (
        partner is not None
        and partner.last_sync_position == 0
        and "not a list" in str(partner.last_sync_error)
    )


@pytest.mark.parametrize(
    ("workers", "claims", "spread"),
    [
        (0, "any", "every"),
        (1, "any", "every"),
        (2, "any", "every"),
        (1, "worker", "every"),
        (1, "syncing", "every"),
        (2, "any", "one"),
        (1, "worker", "one"),
        (1, "syncing", "one"),
    ],
)
def test_a_page_whose_lines_are_not_objects_alone_is_read_whole(
    start: Callable[[str, str], LiveNode],
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
    claims: str,
    spread: str,
) -> None:
    if claims != "any":
        _claims_by(monkeypatch, claims)
    a, b = start("test.node", "Customs A"), start("customs-b", "Customs B")
    connect(a, b)
    published = [publish(a, {**SUSPECT, "key": f"whole-{n}"}) for n in range(16)]
    genuine = [e.wire for e in feed_page(a.node.container.uow(readonly=True), "customs-b").entries]
    # In the line form, but the members of every object (or of the ninth alone, so that only its
    # chunk fails to parse line by line) are separated by a comma and a line break too: such a line
    # is not one JSON value alone, while the page is valid JSON with the sixteen objects.
    body = _in_lines(
        genuine, object_separators=(",\n", ":"), spread=None if spread == "every" else (lambda n: n == 8)
    )
    assert json.loads(body)["objects"] == genuine
    node = b.node
    result = run_sync(
        node.container, node.admin, "test.node", transport=_serving(body), verify_workers=workers
    )[0]
    assert result.error is None and result.stored == 16 and result.rejected == 0
    assert held_ids(b) == published


def test_a_verified_text_equal_to_its_line_is_not_sent_back() -> None:
    derived = ("hash", ("indicator", ()), '{"id":"x"}', "indicator", "v1", "identity--a", "green", False)
    verdict = Checked("x", "a", "agreement", derived=derived)
    line = b'{"id":"x"}'
    sent = sharing_sync._as_tuple(verdict, line)
    assert sent is not None and sent[5] is not None and sent[5][2] is None
    assert sharing_sync._from_tuple(sent, line) == verdict
    assert sharing_sync._from_tuple(sent) is None  # no line to take it from: checked where stored
    other = sharing_sync._as_tuple(verdict, b'{"id": "x"}')  # the same object, written otherwise
    assert other is not None and other[5] == derived
    assert sharing_sync._from_tuple(other, b'{"id": "x"}') == verdict
