"""Organisations, users, API tokens and web sessions in the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from supplyguard.adapters.db.tables import api_tokens, organisations, users, web_sessions
from supplyguard.model.clock import as_utc
from supplyguard.model.organisations import Organisation, OrganisationKind, Role, User


@dataclass(frozen=True, slots=True)
class StoredCredential:
    user: User
    expires_at: datetime | None
    csrf_token: str | None = None


def _to_org(row: Any) -> Organisation:
    return Organisation(
        id=row["id"],
        name=row["name"],
        country=row["country"],
        kind=OrganisationKind(row["kind"]),
        created_at=as_utc(row["created_at"]),
    )


def _to_user(row: Any) -> User:
    return User(
        id=row["id"],
        org_id=row["org_id"],
        username=row["username"],
        display_name=row["display_name"],
        roles=frozenset(Role(r) for r in row["roles"].split(",") if r),
        active=row["active"],
        created_at=as_utc(row["created_at"]),
    )


class AccountRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # organisations
    def add_org(self, org: Organisation) -> None:
        self._conn.execute(
            organisations.insert(),
            [
                {
                    "id": org.id,
                    "name": org.name,
                    "country": org.country,
                    "kind": org.kind.value,
                    "created_at": org.created_at,
                }
            ],
        )

    def get_org(self, org_id: uuid.UUID) -> Organisation | None:
        row = self._conn.execute(select(organisations).where(organisations.c.id == org_id)).mappings().first()
        return _to_org(row) if row else None

    def get_org_by_name(self, name: str) -> Organisation | None:
        row = self._conn.execute(select(organisations).where(organisations.c.name == name)).mappings().first()
        return _to_org(row) if row else None

    def list_orgs(self) -> list[Organisation]:
        return [
            _to_org(r)
            for r in self._conn.execute(select(organisations).order_by(organisations.c.name)).mappings()
        ]

    # users
    def add_user(self, user: User, password_hash: str | None) -> None:
        self._conn.execute(
            users.insert(),
            [
                {
                    "id": user.id,
                    "org_id": user.org_id,
                    "username": user.username,
                    "display_name": user.display_name,
                    "password_hash": password_hash,
                    "roles": ",".join(sorted(user.roles)),
                    "active": user.active,
                    "created_at": user.created_at,
                }
            ],
        )

    def get_user(self, user_id: uuid.UUID) -> User | None:
        row = self._conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
        return _to_user(row) if row else None

    def get_user_by_name(self, username: str) -> tuple[User, str | None] | None:
        row = self._conn.execute(select(users).where(users.c.username == username)).mappings().first()
        return (_to_user(row), row["password_hash"]) if row else None

    def all_users(self) -> list[User]:
        return [_to_user(r) for r in self._conn.execute(select(users).order_by(users.c.id)).mappings()]

    def list_users(self, org_id: uuid.UUID) -> list[User]:
        rows = self._conn.execute(
            select(users).where(users.c.org_id == org_id).order_by(users.c.username)
        ).mappings()
        return [_to_user(r) for r in rows]

    # API tokens
    def add_token(
        self,
        token_id: uuid.UUID,
        user_id: uuid.UUID,
        name: str,
        token_hash: str,
        prefix: str,
        created_at: datetime,
        expires_at: datetime | None,
    ) -> None:
        self._conn.execute(
            api_tokens.insert(),
            [
                {
                    "id": token_id,
                    "user_id": user_id,
                    "name": name,
                    "token_hash": token_hash,
                    "prefix": prefix,
                    "created_at": created_at,
                    "expires_at": expires_at,
                    "revoked_at": None,
                }
            ],
        )

    def find_token(self, token_hash: str) -> StoredCredential | None:
        row = (
            self._conn.execute(
                select(users, api_tokens.c.expires_at.label("token_expires"), api_tokens.c.revoked_at)
                .join(api_tokens, api_tokens.c.user_id == users.c.id)
                .where(api_tokens.c.token_hash == token_hash)
            )
            .mappings()
            .first()
        )
        if row is None or row["revoked_at"] is not None:
            return None
        expires = as_utc(row["token_expires"]) if row["token_expires"] else None
        return StoredCredential(user=_to_user(row), expires_at=expires)

    def revoke_token(self, token_id: uuid.UUID, at: datetime) -> bool:
        result = self._conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)

    # web sessions
    def add_session(
        self,
        session_hash: str,
        user_id: uuid.UUID,
        csrf_token: str,
        now: datetime,
        expires_at: datetime,
        source: str,
    ) -> None:
        self._conn.execute(
            web_sessions.insert(),
            [
                {
                    "session_hash": session_hash,
                    "user_id": user_id,
                    "csrf_token": csrf_token,
                    "created_at": now,
                    "expires_at": expires_at,
                    "source": source[:100],
                }
            ],
        )

    def find_session(self, session_hash: str) -> StoredCredential | None:
        row = (
            self._conn.execute(
                select(users, web_sessions.c.expires_at.label("session_expires"), web_sessions.c.csrf_token)
                .join(web_sessions, web_sessions.c.user_id == users.c.id)
                .where(web_sessions.c.session_hash == session_hash)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return StoredCredential(
            user=_to_user(row), expires_at=as_utc(row["session_expires"]), csrf_token=row["csrf_token"]
        )

    def delete_session(self, session_hash: str) -> None:
        self._conn.execute(delete(web_sessions).where(web_sessions.c.session_hash == session_hash))
