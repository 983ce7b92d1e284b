"""tracking: alert rules, device links and expected stock stored before they were ledger leaves get one

Since this session every change to a tracking alert rule, a device link or an expected-stock row
appends a ledger leaf in its own transaction, and ``ledger verify`` names a row without one as
"inserted behind the ledger's back". Rows stored before that change have no leaf; this migration
appends one for each (the row as it stands, recorded now), so that an upgraded node verifies clean.
It uses the same body functions as the service on purpose: ``ledger verify`` recomputes exactly
these bodies, so they cannot drift apart. Nothing is removed on downgrade (a log only grows; the
older code ignores these kinds).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 13:55:00
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from supplyguard.adapters.db.ledger_store import LedgerStore
    from supplyguard.adapters.db.tracking_rules_repo import TrackingRulesRepository
    from supplyguard.services.ledger_records import LedgerRecord
    from supplyguard.services.tracking_rules import (
        EXPECTED_LEDGER_KIND,
        LINK_LEDGER_KIND,
        RULE_LEDGER_KIND,
        expected_ledger_body,
        link_ledger_body,
        rule_ledger_body,
    )

    conn = op.get_bind()
    store = LedgerStore(conn)
    repo = TrackingRulesRepository(conn)
    now = datetime.now(UTC)
    records: list[LedgerRecord] = []

    def unrecorded(kind: str, record_id: str) -> bool:
        return not store.find_by_record(kind, record_id)

    for rule in repo.all_rules():
        if unrecorded(RULE_LEDGER_KIND, str(rule.id)):
            records.append(
                LedgerRecord(RULE_LEDGER_KIND, str(rule.id), str(rule.org_id), now, rule_ledger_body(rule))
            )
    for org_id, link in repo.all_links():
        if unrecorded(LINK_LEDGER_KIND, str(link.id)):
            body = link_ledger_body(org_id, link)
            records.append(LedgerRecord(LINK_LEDGER_KIND, str(link.id), str(org_id), now, body))
    for row_id, org_id, row, created_at in repo.all_expected():
        if unrecorded(EXPECTED_LEDGER_KIND, str(row_id)):
            body = expected_ledger_body(org_id, row, created_at)
            records.append(LedgerRecord(EXPECTED_LEDGER_KIND, str(row_id), str(org_id), now, body))
    if records:
        store.append_many([record.envelope() for record in records])


def downgrade() -> None:
    pass
