"""Stored responses for POST requests sent with an ``Idempotency-Key`` header."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from supplyguard.adapters.db.tables import idempotency_keys


@dataclass(frozen=True, slots=True)
class StoredResponse:
    request_hash: str
    status_code: int
    body: bytes


class IdempotencyRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, org_id: uuid.UUID, key: str) -> StoredResponse | None:
        row = (
            self._conn.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.org_id == org_id, idempotency_keys.c.key == key
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return StoredResponse(row["request_hash"], row["status_code"], bytes(row["response_body"]))

    def save(
        self, org_id: uuid.UUID, key: str, request_hash: str, status_code: int, body: bytes, now: datetime
    ) -> None:
        self._conn.execute(
            idempotency_keys.insert(),
            [
                {
                    "org_id": org_id,
                    "key": key,
                    "request_hash": request_hash,
                    "status_code": status_code,
                    "response_body": body,
                    "created_at": now,
                }
            ],
        )
