"""Sharing nodes for integration tests: node A on the parametrised backend, B and a carrier on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from supplyguard.config import Settings
from tests.integration.sharing.nodes import SharingTestNode, link, make_sharing_node, sqlite_settings


@pytest.fixture
def node_a(settings: Settings) -> Iterator[SharingTestNode]:
    """Node ``test.node`` on the parametrised backend (SQLite and PostgreSQL)."""
    made = make_sharing_node(settings, "Customs A")
    yield made
    made.container.close()


@pytest.fixture
def node_b(tmp_path: Path, sqlite_template: Path) -> Iterator[SharingTestNode]:
    made = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "customs-b"), "Customs B")
    yield made
    made.container.close()


@pytest.fixture
def carrier(tmp_path: Path, sqlite_template: Path) -> Iterator[SharingTestNode]:
    made = make_sharing_node(sqlite_settings(tmp_path, sqlite_template, "carrier-x"), "Carrier X")
    yield made
    made.container.close()


@pytest.fixture
def linked(node_a: SharingTestNode, node_b: SharingTestNode, carrier: SharingTestNode) -> SharingTestNode:
    link(node_a, node_b)
    link(node_a, carrier)
    return node_a
