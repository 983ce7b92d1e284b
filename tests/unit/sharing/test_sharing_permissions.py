"""Sharing actions live in the one permissions table, with the roles they had."""

from __future__ import annotations

import uuid

import pytest

from supplyguard.errors import PermissionDenied
from supplyguard.model.organisations import Principal, Role
from supplyguard.model.permissions import ALLOWED_ROLES, Action, require


def principal(*roles: Role) -> Principal:
    return Principal(user_id=uuid.uuid4(), org_id=uuid.uuid4(), username="u", roles=frozenset(roles))


def test_every_sharing_action_is_in_the_table() -> None:
    sharing = {action for action in Action if action.name.startswith("SHARING_")}
    assert sharing == {
        Action.SHARING_PUBLISH,
        Action.SHARING_READ,
        Action.SHARING_ADMIN,
        Action.SHARING_SYNC,
        Action.SHARING_FEEDBACK,
    }
    assert all(action in ALLOWED_ROLES for action in sharing)


def test_an_auditor_reads_but_does_not_publish_and_a_partner_account_does_neither() -> None:
    require(principal(Role.AUDITOR), Action.SHARING_READ)
    with pytest.raises(PermissionDenied):
        require(principal(Role.AUDITOR), Action.SHARING_PUBLISH)
    for action in (Action.SHARING_READ, Action.SHARING_PUBLISH, Action.SHARING_SYNC):
        with pytest.raises(PermissionDenied):
            require(principal(Role.PARTNER), action)


def test_only_admins_manage_partners_and_officers_report_outcomes() -> None:
    require(principal(Role.ADMIN), Action.SHARING_ADMIN)
    with pytest.raises(PermissionDenied):
        require(principal(Role.SUPERVISOR), Action.SHARING_ADMIN)
    require(principal(Role.OFFICER), Action.SHARING_FEEDBACK)
    with pytest.raises(PermissionDenied):
        require(principal(Role.OFFICER), Action.SHARING_SYNC)
