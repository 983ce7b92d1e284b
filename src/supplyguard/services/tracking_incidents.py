"""Alerts raised outside the telemetry pipeline, and the declarations they concern.

- :func:`record_alerts` stores alerts that a check other than the position rules raised (a stock
  count at a depot: :func:`supplyguard.tracking.stock_mismatches`), audited like a telemetry batch.
- :func:`raise_declaration_risk` turns alerts about containers into risk signals
  (:mod:`supplyguard.services.risk_signals`) on the declarations that name those containers: an
  alert names a container by its EPC (``urn:epc:id:bic:MSKU9070323``) or number among its objects,
  or as its subject. Severity decides the weight and the lowest lane; ``info`` alerts raise nothing.
  The signal's ref is the alert id, so raising it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from supplyguard.adapters.db.telemetry_repo import StoredAlert, TelemetryRepository
from supplyguard.adapters.db.tracking_views_repo import TrackingViewsRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.model.clock import Clock
from supplyguard.model.declarations import Lane
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import require
from supplyguard.risk.signals import RiskSignal, SignalSource
from supplyguard.services.audit import audit
from supplyguard.services.risk_signals import raise_signal
from supplyguard.services.telemetry import WRITE_ACTION
from supplyguard.tracking import Alert

BIC_PREFIX = "urn:epc:id:bic:"

#: severity -> (weight added to the ranking priority, lowest lane the declaration may stay in)
SIGNAL_BY_SEVERITY: dict[str, tuple[float, Lane | None]] = {
    "critical": (0.5, Lane.RED),
    "high": (0.3, Lane.YELLOW),
    "medium": (0.1, None),
}


def record_alerts(
    uow: SqlUnitOfWork, clock: Clock, actor: Principal, alerts: Sequence[Alert], *, check: str
) -> list[StoredAlert]:
    """Store alerts raised by ``check`` (e.g. ``stock``) for the caller's organisation, audited."""
    require(actor, WRITE_ACTION)
    now = clock.now()
    with uow:
        ids = TelemetryRepository(uow.connection).add_alerts(actor.org_id, alerts, now)
        audit(uow, actor, clock, "tracking.alerts", "tracking", None, {"check": check, "alerts": len(alerts)})
        uow.commit()
    return [StoredAlert(i, actor.org_id, a, now, None, None) for i, a in zip(ids, alerts, strict=True)]


def containers_named(alert: Alert) -> set[str]:
    """The container numbers an alert names (EPCs of the BIC scheme, bare numbers, or its subject)."""
    named = {o[len(BIC_PREFIX) :] for o in alert.object_ids if o.startswith(BIC_PREFIX)}
    for value in (*alert.object_ids, alert.subject):
        if len(value) == 11 and value[:4].isalpha() and value[4:].isdigit():
            named.add(value.upper())
    return named


def raise_declaration_risk(
    uow: SqlUnitOfWork, clock: Clock, actor: Principal, stored: Sequence[StoredAlert]
) -> int:
    """Raise the risk of the organisation's declarations whose containers the alerts name; returns
    how many signals were new."""
    require(actor, WRITE_ACTION)
    wanted = [(s, containers_named(s.alert)) for s in stored if s.alert.severity in SIGNAL_BY_SEVERITY]
    numbers = sorted({n for _, named in wanted for n in named})
    if not numbers:
        return 0
    now = clock.now()
    raised = 0
    with uow:
        by_container = TrackingViewsRepository(uow.connection).declarations_with_containers(
            actor.org_id, numbers
        )
        for alert_row, named in wanted:
            weight, lane = SIGNAL_BY_SEVERITY[alert_row.alert.severity]
            declaration_ids = {d for n in named for d in by_container.get(n, ())}
            for declaration_id in sorted(declaration_ids):
                signal = RiskSignal(
                    SignalSource.TRACKING,
                    str(alert_row.id),
                    alert_row.alert.kind,
                    weight,
                    f"{alert_row.alert.kind.replace('_', ' ')} on container "
                    f"{', '.join(sorted(named))}: {alert_row.alert.reason}",
                    lane,
                )
                raised += raise_signal(uow, actor.org_id, declaration_id, signal, now)
        if raised:
            audit(uow, actor, clock, "tracking.risk_signals", "tracking", None, {"signals": raised})
        uow.commit()
    return raised
