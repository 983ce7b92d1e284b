"""Idempotency keys: a retried POST with the same key and body gets the first response again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import Conflict, FieldError, ValidationFailed
from supplyguard.model.clock import Clock
from supplyguard.model.organisations import Principal

MAX_KEY_LENGTH = 200


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def run_idempotent(
    uow_factory: Callable[[], SqlUnitOfWork],
    clock: Clock,
    actor: Principal,
    key: str | None,
    fingerprint: str,
    run: Callable[[], tuple[int, bytes]],
) -> tuple[int, bytes, bool]:
    """Run ``run`` once per (organisation, key); returns (status, body, replayed)."""
    if key is None:
        status, body = run()
        return status, body, False
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            [FieldError(("Idempotency-Key",), f"must be 1 to {MAX_KEY_LENGTH} characters")]
        )
    with uow_factory() as uow:
        stored = uow.idempotency.get(actor.org_id, key)
    if stored is not None:
        if stored.request_hash != fingerprint:
            raise Conflict("this Idempotency-Key was used for a different request")
        return stored.status_code, stored.body, True
    status, body = run()
    uow = uow_factory()
    with uow:
        if uow.idempotency.get(actor.org_id, key) is None:
            uow.idempotency.save(actor.org_id, key, fingerprint, status, body, clock.now())
            uow.commit()
    return status, body, False
