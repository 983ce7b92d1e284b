"""Organisations, users, API tokens and web sessions: creating them and authenticating with them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import Conflict, FieldError, NotAuthenticated, OrganisationNotFound, ValidationFailed
from supplyguard.model.clock import Clock
from supplyguard.model.ids import new_id
from supplyguard.model.organisations import Organisation, OrganisationKind, Principal, Role, User
from supplyguard.services.audit import audit
from supplyguard.services.ledger_records import append_record

TOKEN_PREFIX = "sg_"  # noqa: S105 - a prefix, not a secret
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt${n}${r}${p}${salt}${digest}".format(
        salt=base64.b64encode(salt).decode(), digest=base64.b64encode(digest).decode(), **_SCRYPT
    )


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def token_digest(token: str) -> str:
    """API tokens and session ids are 256-bit random values: a plain SHA-256 is a safe stored form."""
    return hashlib.sha256(token.encode()).hexdigest()


def organisation_body(org: Organisation) -> dict[str, object]:
    """An organisation as the ledger hashes it."""
    return {"name": org.name, "country": org.country, "kind": org.kind.value}


def user_body(user: User) -> dict[str, object]:
    """A user's identity and rights as the ledger hashes them (never the password hash)."""
    return {
        "username": user.username,
        "roles": sorted(user.roles),
        "org": str(user.org_id),
        "active": user.active,
    }


def create_organisation(
    uow: SqlUnitOfWork, clock: Clock, actor: Principal | None, name: str, country: str, kind: str
) -> Organisation:
    errors = []
    if not name.strip():
        errors.append(FieldError(("name",), "is required"))
    if len(country) != 2 or not country.isalpha():
        errors.append(FieldError(("country",), f"{country!r} is not an ISO 3166-1 alpha-2 code"))
    try:
        org_kind = OrganisationKind(kind)
    except ValueError:
        errors.append(FieldError(("kind",), f"must be one of {', '.join(k.value for k in OrganisationKind)}"))
    if errors:
        raise ValidationFailed(errors)
    with uow:
        if uow.accounts.get_org_by_name(name.strip()) is not None:
            raise Conflict(f"an organisation named {name.strip()!r} already exists")
        org = Organisation(new_id(), name.strip(), country.upper(), org_kind, clock.now())
        uow.accounts.add_org(org)
        body = organisation_body(org)
        append_record(uow, "config.organisation", str(org.id), str(org.id), org.created_at, body)
        audit(uow, actor, clock, "organisation.create", "organisation", str(org.id), body, org_id=org.id)
        uow.commit()
    return org


def create_user(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal | None,
    org_id: uuid.UUID,
    username: str,
    roles: list[str],
    password: str | None = None,
    display_name: str | None = None,
) -> User:
    errors = []
    if not username.strip() or len(username) > 100:
        errors.append(FieldError(("username",), "must be 1 to 100 characters"))
    parsed_roles: set[Role] = set()
    for index, role in enumerate(roles):
        try:
            parsed_roles.add(Role(role))
        except ValueError:
            errors.append(
                FieldError(("roles", index), f"{role!r} is not one of {', '.join(r.value for r in Role)}")
            )
    if not roles:
        errors.append(FieldError(("roles",), "at least one role is required"))
    if password is not None and len(password) < 8:
        errors.append(FieldError(("password",), "must be at least 8 characters"))
    if errors:
        raise ValidationFailed(errors)
    with uow:
        if uow.accounts.get_org(org_id) is None:
            raise OrganisationNotFound(org_id)
        if uow.accounts.get_user_by_name(username.strip()) is not None:
            raise Conflict(f"a user named {username.strip()!r} already exists")
        user = User(
            id=new_id(),
            org_id=org_id,
            username=username.strip(),
            display_name=(display_name or username).strip(),
            roles=frozenset(parsed_roles),
            created_at=clock.now(),
        )
        uow.accounts.add_user(user, hash_password(password) if password else None)
        body = user_body(user)
        append_record(uow, "config.user", str(user.id), str(org_id), clock.now(), body)
        audit(uow, actor, clock, "user.create", "user", str(user.id), body, org_id=org_id)
        uow.commit()
    return user


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token_id: uuid.UUID
    token: str
    expires_at: datetime | None


def create_token(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal | None,
    username: str,
    name: str,
    days: int | None = None,
) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + timedelta(days=days) if days else None
    with uow:
        found = uow.accounts.get_user_by_name(username)
        if found is None:
            raise ValidationFailed([FieldError(("username",), f"no user named {username!r}")])
        user = found[0]
        token_id = new_id()
        uow.accounts.add_token(token_id, user.id, name, token_digest(secret), secret[:10], now, expires)
        audit(uow, actor, clock, "token.create", "user", str(user.id), {"name": name}, org_id=user.org_id)
        uow.commit()
    return IssuedToken(token_id, secret, expires)


def _principal(user: User, source: str, via: str) -> Principal:
    return Principal(
        user_id=user.id, org_id=user.org_id, username=user.username, roles=user.roles, source=source, via=via
    )


def authenticate_token(uow: SqlUnitOfWork, clock: Clock, token: str, source: str) -> Principal:
    with uow:
        stored = uow.accounts.find_token(token_digest(token))
    if stored is None or not stored.user.active:
        raise NotAuthenticated("the API token is unknown, revoked or belongs to an inactive user")
    if stored.expires_at is not None and stored.expires_at <= clock.now():
        raise NotAuthenticated("the API token has expired")
    return _principal(stored.user, source, "api")


@dataclass(frozen=True, slots=True)
class WebSession:
    session_id: str
    csrf_token: str
    principal: Principal
    expires_at: datetime


def login(
    uow: SqlUnitOfWork, clock: Clock, username: str, password: str, source: str, hours: int
) -> WebSession:
    with uow:
        found = uow.accounts.get_user_by_name(username)
        if found is None or not found[0].active or not verify_password(password, found[1]):
            audit(
                uow,
                None,
                clock,
                "login.failed",
                "user",
                username[:100],
                {"username": username[:100]},
                source=source,
                via="web",
                org_id=found[0].org_id if found else None,
            )
            uow.commit()
            raise NotAuthenticated("wrong username or password")
        user = found[0]
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = clock.now()
        expires = now + timedelta(hours=hours)
        uow.accounts.add_session(token_digest(session_id), user.id, csrf, now, expires, source)
        principal = _principal(user, source, "web")
        audit(uow, principal, clock, "login", "user", str(user.id), {})
        uow.commit()
    return WebSession(session_id, csrf, principal, expires)


def resolve_session(uow: SqlUnitOfWork, clock: Clock, session_id: str, source: str) -> WebSession:
    with uow:
        stored = uow.accounts.find_session(token_digest(session_id))
    if stored is None or not stored.user.active or stored.csrf_token is None:
        raise NotAuthenticated("not logged in")
    if stored.expires_at is not None and stored.expires_at <= clock.now():
        raise NotAuthenticated("the session has expired; log in again")
    assert stored.expires_at is not None
    return WebSession(
        session_id, stored.csrf_token, _principal(stored.user, source, "web"), stored.expires_at
    )


def logout(uow: SqlUnitOfWork, session_id: str) -> None:
    with uow:
        uow.accounts.delete_session(token_digest(session_id))
        uow.commit()
