"""Live sharing nodes: each with its own SQLite database, keys and uvicorn server on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from supplyguard.api.app import create_app
from supplyguard.services.accounts import create_token
from supplyguard.services.sharing_sync import collection_id_for
from tests.factories import make_user
from tests.integration.sharing.nodes import SharingTestNode, make_sharing_node, sqlite_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveNode:
    node: SharingTestNode
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def collection_url(self) -> str:
        return f"{self.url}/v1/taxii2/api/collections/{collection_id_for(self.node.node_id)}/"

    def issue_partner_token(self, partner_node: str) -> str:
        """A local partner-role account for ``partner_node`` and a token for it (handed over out of band)."""
        container = self.node.container
        with container.uow(readonly=True) as uow:
            org = uow.accounts.list_orgs()[0]
        make_user(container, org, f"partner-{partner_node}", ("partner",))
        return create_token(container.uow(), container.clock, None, f"partner-{partner_node}", "taxii").token

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.node.container.close()


def start_node(tmp_path: Path, template: Path, node_id: str, org_name: str) -> LiveNode:
    node = make_sharing_node(sqlite_settings(tmp_path, template, node_id), org_name)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(node.container), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, f"node {node_id} did not start"
    return LiveNode(node, f"http://127.0.0.1:{port}", server, thread)


@pytest.fixture
def start(tmp_path: Path, sqlite_template: Path) -> Iterator[Callable[[str, str], LiveNode]]:
    started: list[LiveNode] = []

    def _start(node_id: str, org_name: str) -> LiveNode:
        live = start_node(tmp_path, sqlite_template, node_id, org_name)
        started.append(live)
        return live

    yield _start
    for live in started:
        live.stop()


def connect(a: LiveNode, b: LiveNode) -> None:
    """``a`` and ``b`` register each other (keys, accounts and tokens exchanged out of band)."""
    from supplyguard.adapters.sharing_keys import save_partner_token
    from supplyguard.services.sharing_partners import register_partner

    token_a_gave_b = a.issue_partner_token(b.node.node_id)
    token_b_gave_a = b.issue_partner_token(a.node.node_id)
    for here, there, token in ((a, b, token_b_gave_a), (b, a, token_a_gave_b)):
        node = here.node
        register_partner(
            node.container.uow(),
            node.clock,
            node.admin,
            there.node.partner_input(
                base_url=there.url,
                username=f"partner-{there.node.node_id}",
                ledger_vkey=there.node.container.signer.vkey,
            ),
        )
        save_partner_token(node.container.settings.keys_dir, there.node.node_id, token)
