"""Helpers that make sharing nodes (a container, its sharing identity, an admin, a fixed clock)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import supplyguard.adapters.db.sharing_tables  # noqa: F401 - registers the tables (truncated between tests)
from supplyguard.bootstrap import Container, build
from supplyguard.config import Settings
from supplyguard.model.clock import FixedClock
from supplyguard.model.organisations import Principal
from supplyguard.services.sharing_node import SharingNode, sharing_node
from supplyguard.services.sharing_partners import PartnerInput, register_agreement, register_partner
from tests.factories import admin_principal, make_org

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

AGREEMENT = """
id: cmaa-test
title: Test agreement between A, B and a carrier
legal_basis: Customs mutual assistance agreement A-B, arts. 4-7
parties:
  - {node: test.node, name: Customs A, country: AA}
  - {node: customs-b, name: Customs B, country: BB}
  - {node: carrier-x, name: Carrier X}
purposes: [risk-targeting, enforcement]
valid_from: 2026-01-01
valid_until: 2028-12-31
retention_days: 365
onward_transfer: parties
recipients:
  test.node:
    max_tlp: amber+strict
    objects: {"*": all}
  customs-b:
    max_tlp: amber+strict
    objects: {"*": all}
  carrier-x:
    max_tlp: amber
    purposes: [risk-targeting]
    retention_days: 90
    personal_data: false
    objects:
      indicator:
        fields: [name, description, indicator_types, pattern, pattern_type, valid_from, valid_until,
                 "shipment.*"]
        exclude: [shipment.declaration_reference, shipment.consignee_eori]
"""

SUSPECT = {
    "kind": "suspect-shipment",
    "tlp": "amber",
    "key": "alert-1",
    "name": "Cocaine in banana reefer",
    "risk_reasons": ["consignee linked to a 2025 seizure"],
    "valid_from": "2026-11-20T00:00:00Z",
    "shipment": {
        "container_numbers": ["CSQU3054383"],
        "conveyance": {"mode": "sea", "vessel_name": "MSC Anna", "vessel_imo": "9074729"},
        "consignee_name": "Golden Harbor Trading",
        "consignee_eori": "NL123456789",
        "declaration_reference": "DECL-A-17",
        "hs_codes": ["080390"],
    },
}


@dataclass
class SharingTestNode:
    container: Container
    node: SharingNode
    admin: Principal
    clock: FixedClock

    @property
    def node_id(self) -> str:
        return self.node.node_id

    def partner_input(self, **extra: Any) -> PartnerInput:
        return PartnerInput(
            node_id=self.node_id,
            name=f"node {self.node_id}",
            public_key=self.node.key.public_key_raw.hex(),
            **extra,
        )


def make_sharing_node(settings: Settings, org_name: str) -> SharingTestNode:
    clock = FixedClock(START)
    container = build(settings, clock=clock)
    org = make_org(container, org_name, "NL")
    admin = admin_principal(org)
    register_agreement(container.uow(), clock, admin, sharing_node(container), AGREEMENT)
    return SharingTestNode(container, sharing_node(container), admin, clock)


def sqlite_settings(tmp_path: Path, template: Path, node_id: str) -> Settings:
    target = tmp_path / f"{node_id}.db"
    shutil.copy(template, target)
    return Settings(data_dir=tmp_path / node_id, database_url=f"sqlite:///{target}", node_name=node_id)


def link(a: SharingTestNode, b: SharingTestNode) -> None:
    """Each registers the other's key, as exchanged out of band."""
    register_partner(a.container.uow(), a.clock, a.admin, b.partner_input())
    register_partner(b.container.uow(), b.clock, b.admin, a.partner_input())
