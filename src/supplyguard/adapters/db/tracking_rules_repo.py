"""Stored tracking alert rules, their assignments to devices, device links and expected stock."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Text, cast, delete, func, insert, select, update

from supplyguard.adapters.db.tables import declarations
from supplyguard.adapters.db.tracking_tables import (
    tracking_alerts,
    tracking_device_links,
    tracking_expected_stock,
    tracking_rule_assignments,
    tracking_rule_revisions,
    tracking_rules,
)
from supplyguard.model.clock import as_utc
from supplyguard.model.ids import new_id


@dataclass(frozen=True, slots=True)
class StoredRule:
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    kind: str
    spec: Mapping[str, Any]
    created_at: datetime
    created_by: str
    devices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeviceLink:
    id: uuid.UUID
    device_id: str
    asset_id: str | None
    declaration_id: uuid.UUID | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ExpectedStock:
    declaration_id: uuid.UUID
    site: str
    item: str
    quantity: float


class TrackingRulesRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # rules -----------------------------------------------------------------------------------
    def add_rule(self, rule: StoredRule) -> None:
        self._conn.execute(
            insert(tracking_rules).values(
                id=rule.id,
                org_id=rule.org_id,
                name=rule.name,
                kind=rule.kind,
                spec=dict(rule.spec),
                created_at=rule.created_at,
                created_by=rule.created_by,
            )
        )

    def rules(self, org_id: uuid.UUID, kind: str | None = None) -> list[StoredRule]:
        r = tracking_rules.c
        statement = select(tracking_rules).where(r.org_id == org_id)
        if kind is not None:
            statement = statement.where(r.kind == kind)
        rows = list(self._conn.execute(statement.order_by(r.kind, r.name)).mappings())
        devices = self.assignments(org_id)
        return [_to_rule(row, tuple(sorted(devices.get(row["id"], ())))) for row in rows]

    def find_rule(self, org_id: uuid.UUID, ref: str) -> StoredRule | None:
        """A rule by name or by id."""
        r = tracking_rules.c
        condition = r.name == ref
        with contextlib.suppress(ValueError):
            condition = condition | (r.id == uuid.UUID(ref))
        row = (
            self._conn.execute(select(tracking_rules).where(r.org_id == org_id, condition)).mappings().first()
        )
        if row is None:
            return None
        devices = self.assignments(org_id).get(row["id"], ())
        return _to_rule(row, tuple(sorted(devices)))

    def delete_rule(self, org_id: uuid.UUID, rule_id: uuid.UUID) -> None:
        a = tracking_rule_assignments.c
        self._conn.execute(delete(tracking_rule_assignments).where(a.org_id == org_id, a.rule_id == rule_id))
        r = tracking_rules.c
        self._conn.execute(delete(tracking_rules).where(r.org_id == org_id, r.id == rule_id))

    def all_rules(self) -> list[StoredRule]:
        """Every organisation's rules with their devices, by id as text (the ledger check's order)."""
        a = tracking_rule_assignments.c
        devices: dict[uuid.UUID, list[str]] = {}
        for rule_id, device_id in self._conn.execute(select(a.rule_id, a.device_id)):
            devices.setdefault(rule_id, []).append(device_id)
        rows = self._conn.execute(select(tracking_rules)).mappings()
        found = [_to_rule(row, tuple(sorted(devices.get(row["id"], ())))) for row in rows]
        return sorted(found, key=lambda rule: str(rule.id))

    def delete_all(self, org_id: uuid.UUID) -> None:
        """Every rule, assignment, link and expected stock of the organisation (a rules file replace)."""
        for table in (
            tracking_rule_assignments,
            tracking_rules,
            tracking_device_links,
            tracking_expected_stock,
        ):
            self._conn.execute(delete(table).where(table.c.org_id == org_id))

    # assignments -----------------------------------------------------------------------------
    def assign(self, org_id: uuid.UUID, rule_id: uuid.UUID, device_ids: Iterable[str]) -> int:
        a = tracking_rule_assignments.c
        existing = set(
            self._conn.execute(select(a.device_id).where(a.org_id == org_id, a.rule_id == rule_id)).scalars()
        )
        fresh = sorted(set(device_ids) - existing)
        if fresh:
            self._conn.execute(
                insert(tracking_rule_assignments),
                [{"rule_id": rule_id, "org_id": org_id, "device_id": d} for d in fresh],
            )
        return len(fresh)

    def unassign(self, org_id: uuid.UUID, rule_id: uuid.UUID, device_ids: Iterable[str]) -> int:
        a = tracking_rule_assignments.c
        result = self._conn.execute(
            delete(tracking_rule_assignments).where(
                a.org_id == org_id, a.rule_id == rule_id, a.device_id.in_(list(device_ids))
            )
        )
        return int(result.rowcount or 0)

    def assignments(self, org_id: uuid.UUID) -> dict[uuid.UUID, list[str]]:
        """rule id -> device ids."""
        a = tracking_rule_assignments.c
        out: dict[uuid.UUID, list[str]] = {}
        for rule_id, device_id in self._conn.execute(
            select(a.rule_id, a.device_id).where(a.org_id == org_id).order_by(a.device_id)
        ):
            out.setdefault(rule_id, []).append(device_id)
        return out

    # device links ----------------------------------------------------------------------------
    def add_link(
        self,
        org_id: uuid.UUID,
        device_id: str,
        asset_id: str | None,
        declaration_id: uuid.UUID | None,
        at: datetime,
    ) -> DeviceLink:
        link_id = new_id()
        self._conn.execute(
            insert(tracking_device_links).values(
                id=link_id,
                org_id=org_id,
                device_id=device_id,
                asset_id=asset_id,
                declaration_id=declaration_id,
                created_at=at,
            )
        )
        return DeviceLink(link_id, device_id, asset_id, declaration_id, at)

    def links(self, org_id: uuid.UUID, device_ids: Sequence[str] | None = None) -> list[DeviceLink]:
        d = tracking_device_links.c
        statement = select(tracking_device_links).where(d.org_id == org_id)
        if device_ids is not None:
            statement = statement.where(d.device_id.in_(list(device_ids)))
        rows = self._conn.execute(statement.order_by(d.device_id, d.created_at)).mappings()
        return [
            DeviceLink(r["id"], r["device_id"], r["asset_id"], r["declaration_id"], as_utc(r["created_at"]))
            for r in rows
        ]

    def all_links(self) -> list[tuple[uuid.UUID, DeviceLink]]:
        """(organisation, link) of every organisation, by link id as text (the ledger check's order)."""
        rows = self._conn.execute(select(tracking_device_links)).mappings()
        found = [
            (
                r["org_id"],
                DeviceLink(
                    r["id"], r["device_id"], r["asset_id"], r["declaration_id"], as_utc(r["created_at"])
                ),
            )
            for r in rows
        ]
        return sorted(found, key=lambda pair: str(pair[1].id))

    def delete_link(self, org_id: uuid.UUID, link_id: uuid.UUID) -> bool:
        d = tracking_device_links.c
        result = self._conn.execute(delete(tracking_device_links).where(d.org_id == org_id, d.id == link_id))
        return bool(result.rowcount)

    # declarations ----------------------------------------------------------------------------
    def declaration_ids(self, org_id: uuid.UUID, ref: str) -> list[uuid.UUID]:
        """The organisation's declaration with this id or reference (zero or one)."""
        d = declarations.c
        condition = d.reference == ref
        with contextlib.suppress(ValueError):
            condition = condition | (d.id == uuid.UUID(ref))
        return list(self._conn.execute(select(d.id).where(d.org_id == org_id, condition)).scalars())

    def declarations_with_container(self, org_id: uuid.UUID, container: str) -> list[uuid.UUID]:
        """Declarations of the organisation that list ``container`` (an ISO 6346 number)."""
        d = declarations.c
        pattern = f'%"{container}"%'
        rows = self._conn.execute(
            select(d.id, d.containers).where(d.org_id == org_id, cast(d.containers, Text).like(pattern))
        )
        return [row[0] for row in rows if container in (row[1] or ())]

    # expected stock --------------------------------------------------------------------------
    def add_expected(self, org_id: uuid.UUID, rows: Sequence[ExpectedStock], at: datetime) -> list[uuid.UUID]:
        """Store the rows; their ids, in order."""
        ids = [new_id() for _ in rows]
        if rows:
            self._conn.execute(
                insert(tracking_expected_stock),
                [
                    {
                        "id": row_id,
                        "org_id": org_id,
                        "declaration_id": e.declaration_id,
                        "site": e.site,
                        "item": e.item,
                        "quantity": e.quantity,
                        "created_at": at,
                    }
                    for row_id, e in zip(ids, rows, strict=True)
                ],
            )
        return ids

    def expected(self, org_id: uuid.UUID) -> list[ExpectedStock]:
        e = tracking_expected_stock.c
        rows = self._conn.execute(
            select(e.declaration_id, e.site, e.item, e.quantity)
            .where(e.org_id == org_id)
            .order_by(e.site, e.item)
        )
        return [ExpectedStock(r[0], r[1], r[2], float(r[3])) for r in rows]

    def expected_ids(self, org_id: uuid.UUID) -> list[uuid.UUID]:
        e = tracking_expected_stock.c
        return list(self._conn.execute(select(e.id).where(e.org_id == org_id)).scalars())

    def all_expected(self) -> list[tuple[uuid.UUID, uuid.UUID, ExpectedStock, datetime]]:
        """(id, organisation, row, created at) of every organisation, by id as text."""
        e = tracking_expected_stock.c
        rows = self._conn.execute(
            select(e.id, e.org_id, e.declaration_id, e.site, e.item, e.quantity, e.created_at)
        )
        found = [(r[0], r[1], ExpectedStock(r[2], r[3], r[4], float(r[5])), as_utc(r[6])) for r in rows]
        return sorted(found, key=lambda row: str(row[0]))

    # revision --------------------------------------------------------------------------------
    def revision(self, org_id: uuid.UUID) -> int:
        v = tracking_rule_revisions.c
        value = self._conn.execute(select(v.revision).where(v.org_id == org_id)).scalar()
        return int(value or 0)

    def bump_revision(self, org_id: uuid.UUID, at: datetime) -> int:
        v = tracking_rule_revisions.c
        updated = self._conn.execute(
            update(tracking_rule_revisions)
            .where(v.org_id == org_id)
            .values(revision=v.revision + 1, updated_at=at)
        )
        if not updated.rowcount:
            self._conn.execute(
                insert(tracking_rule_revisions).values(org_id=org_id, revision=1, updated_at=at)
            )
        return self.revision(org_id)

    def orgs_watching_silence(self) -> list[uuid.UUID]:
        """Organisations with a profile that bounds how long a device may stay silent."""
        r = tracking_rules.c
        rows = self._conn.execute(select(r.org_id, r.spec).where(r.kind == "profile"))
        return sorted({org for org, spec in rows if (spec or {}).get("max_silence_minutes") is not None})

    def silent_alerts_raised(self, org_id: uuid.UUID) -> set[tuple[str, str]]:
        """(device, last seen) of every ``device_silent`` alert stored: a silence is alerted once."""
        a = tracking_alerts.c
        rows = self._conn.execute(
            select(a.subject, a.details).where(a.org_id == org_id, a.kind == "device_silent")
        )
        return {(subject, str((details or {}).get("last_seen"))) for subject, details in rows}

    def count_rules(self, org_id: uuid.UUID) -> int:
        r = tracking_rules.c
        return int(
            self._conn.execute(
                select(func.count()).select_from(tracking_rules).where(r.org_id == org_id)
            ).scalar_one()
        )


def _to_rule(row: Any, devices: tuple[str, ...]) -> StoredRule:
    return StoredRule(
        row["id"],
        row["org_id"],
        row["name"],
        row["kind"],
        dict(row["spec"] or {}),
        as_utc(row["created_at"]),
        row["created_by"],
        devices,
    )
