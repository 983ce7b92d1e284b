"""Which roles may do what. The one table; services call :func:`require`."""

from __future__ import annotations

from enum import StrEnum

from supplyguard.errors import PermissionDenied
from supplyguard.model.organisations import Principal, Role


class Action(StrEnum):
    DECLARATION_CREATE = "create declarations"
    DECLARATION_READ = "read declarations"
    OUTCOME_RECORD = "record inspection outcomes"
    PARTY_READ = "read parties"
    PARTY_WRITE = "change parties"
    AUDIT_READ = "read the audit log"
    USER_ADMIN = "manage users and tokens"
    LEDGER_READ = "read the ledger"
    LEDGER_ADMIN = "sign ledger checkpoints"
    RISK_ADMIN = "train, activate and run risk models"
    SCREENING_DECIDE = "mark screening hits as false positives"
    RESILIENCE_READ = "read supply networks, their analyses and drills"
    RESILIENCE_PLAN = "store supply networks and run drills"
    RESILIENCE_DRILL = "take part in resilience drills"
    TRACKING_READ = "read tracking events, positions and alerts"
    TRACKING_WRITE = "send tracking events and telemetry"
    TRACKING_ADMIN = "manage tracking alert rules and device links"
    ALERT_ACK = "acknowledge tracking alerts"
    SHARING_PUBLISH = "publish intelligence"
    SHARING_READ = "read shared intelligence"
    SHARING_ADMIN = "manage sharing partners and agreements"
    SHARING_SYNC = "synchronise with partners"
    SHARING_FEEDBACK = "report outcomes on shared intelligence"


_ALL = frozenset(Role)

ALLOWED_ROLES: dict[Action, frozenset[Role]] = {
    Action.DECLARATION_CREATE: frozenset(
        {Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST, Role.LOGISTICS, Role.PARTNER}
    ),
    Action.DECLARATION_READ: frozenset(
        {Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST, Role.AUDITOR, Role.LOGISTICS}
    ),
    Action.OUTCOME_RECORD: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OFFICER}),
    Action.PARTY_READ: frozenset(
        {Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST, Role.AUDITOR, Role.LOGISTICS}
    ),
    Action.PARTY_WRITE: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST}),
    Action.AUDIT_READ: frozenset({Role.ADMIN, Role.AUDITOR}),
    Action.USER_ADMIN: frozenset({Role.ADMIN}),
    Action.LEDGER_READ: _ALL,
    Action.LEDGER_ADMIN: frozenset({Role.ADMIN}),
    Action.RISK_ADMIN: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST}),
    Action.SCREENING_DECIDE: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST}),
    Action.RESILIENCE_READ: frozenset(
        {Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.LOGISTICS, Role.OFFICER, Role.AUDITOR}
    ),
    Action.RESILIENCE_PLAN: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.LOGISTICS}),
    Action.RESILIENCE_DRILL: frozenset(
        {Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.LOGISTICS, Role.OFFICER}
    ),
    Action.TRACKING_READ: frozenset(
        {Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST, Role.AUDITOR, Role.LOGISTICS}
    ),
    Action.TRACKING_WRITE: frozenset(
        {Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST, Role.LOGISTICS, Role.PARTNER}
    ),
    Action.TRACKING_ADMIN: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.LOGISTICS}),
    Action.ALERT_ACK: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST, Role.LOGISTICS}),
    Action.SHARING_PUBLISH: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST}),
    Action.SHARING_READ: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST, Role.AUDITOR}),
    Action.SHARING_ADMIN: frozenset({Role.ADMIN}),
    Action.SHARING_SYNC: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST}),
    Action.SHARING_FEEDBACK: frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.ANALYST}),
}


def require(principal: Principal, action: Action) -> None:
    """Raise :class:`PermissionDenied` unless one of the principal's roles allows ``action``."""
    if not principal.roles.intersection(ALLOWED_ROLES[action]):
        roles = ", ".join(sorted(principal.roles)) or "none"
        raise PermissionDenied(action.value, f"your roles ({roles}) do not include it")
