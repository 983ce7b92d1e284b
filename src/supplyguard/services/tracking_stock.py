"""Stock per site from the stored EPCIS events, checked against what declarations say was shipped.

What declarations say (``tracking_expected_stock``, from :func:`services.tracking_rules.expect_stock`
or a rules file's ``expected_stock``): declaration D ships N of item class I (or container C) to
site S. The check rebuilds the stock of those sites from the organisation's object, aggregation and
transformation events (the engine's :class:`~supplyguard.tracking.StockLedger`), compares only the
items declarations expect there, and stores a ``stock_mismatch`` alert for each difference (missing
stock: high; surplus: medium), once per (site, item, count) while it stays unacknowledged. Missing
stock raises the risk of the declarations that expected it, in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from supplyguard.adapters.db.telemetry_repo import StoredAlert, TelemetryRepository
from supplyguard.adapters.db.tracking_repo import TrackingRepository
from supplyguard.adapters.db.tracking_rules_repo import TrackingRulesRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.model.clock import Clock
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import require
from supplyguard.services.audit import audit
from supplyguard.services.telemetry import WRITE_ACTION, store_alerts
from supplyguard.services.tracking_state import full_event
from supplyguard.tracking import EventQuery, StockLedger, stock_mismatches

STOCK_EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransformationEvent")
PAGE = 5_000


@dataclass(frozen=True, slots=True)
class StockCheck:
    sites: int
    expected: dict[str, dict[str, float]]
    observed: dict[str, dict[str, float]]
    alerts: list[StoredAlert]
    signals: int


def observed_stock(uow: SqlUnitOfWork, org_id: uuid.UUID) -> dict[str, dict[str, float]]:
    """site -> item -> count, from every stored stock event of the organisation (inside a unit of work)."""
    repo = TrackingRepository(uow.connection)
    query = EventQuery(event_types=STOCK_EVENT_TYPES)
    rows, after = [], None
    while True:
        page = repo.query(org_id, query, after, PAGE)
        rows.extend(page)
        if len(page) < PAGE:
            break
        last = page[-1]
        assert last.event.record_time is not None  # stored events always have one
        after = (last.event.record_time, last.id)
    ledger = StockLedger()
    for row in sorted(rows, key=lambda r: (r.event.event_time, r.event.record_time)):
        if row.event.error_declaration is None:
            ledger.apply(full_event(row.event))
    return ledger.stock()


def check_stock_for_org(
    uow: SqlUnitOfWork, clock: Clock, org_id: uuid.UUID, actor: Principal | None = None
) -> StockCheck:
    """Compare and store alerts for one organisation (a periodic job calls this without a principal)."""
    now = clock.now()
    with uow:
        wanted = TrackingRulesRepository(uow.connection).expected(org_id)
        expected: dict[str, dict[str, float]] = {}
        declarations: dict[tuple[str, str], set[uuid.UUID]] = {}
        for row in wanted:
            site = expected.setdefault(row.site, {})
            site[row.item] = site.get(row.item, 0.0) + row.quantity
            declarations.setdefault((row.site, row.item), set()).add(row.declaration_id)
        stock = observed_stock(uow, org_id) if expected else {}
        observed = {
            site: {item: stock.get(site, {}).get(item, 0.0) for item in items}
            for site, items in expected.items()
        }
        open_alerts = TelemetryRepository(uow.connection).alerts(org_id, open_only=True, limit=10_000)
        already = {
            (a.alert.subject, a.alert.details.get("item"), a.alert.details.get("observed"))
            for a in open_alerts
            if a.alert.kind == "stock_mismatch"
        }
        fresh = [
            alert
            for alert in stock_mismatches(expected, observed, time=now)
            if (alert.subject, alert.details.get("item"), alert.details.get("observed")) not in already
        ]
        concerned = [
            declarations.get((alert.subject, str(alert.details["item"])), set())
            if alert.severity == "high"
            else set()
            for alert in fresh
        ]
        stored, signals = store_alerts(uow, org_id, fresh, now, concerned)
        if stored or actor is not None:
            details = {"sites": len(expected), "alerts": len(stored), "signals": signals}
            audit(uow, actor, clock, "tracking.stock_check", "tracking", None, details, org_id=org_id)
        uow.commit()
    return StockCheck(len(expected), expected, observed, stored, signals)


def check_stock(uow: SqlUnitOfWork, clock: Clock, actor: Principal) -> StockCheck:
    """The stock check for the caller's organisation (needs ``TRACKING_WRITE``: it stores alerts)."""
    require(actor, WRITE_ACTION)
    return check_stock_for_org(uow, clock, actor.org_id, actor)
