"""Stored feature vectors of intake scores whose model factors are not worked out yet."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select

from supplyguard.adapters.db.risk_factor_tables import risk_pending_factors


@dataclass(frozen=True, slots=True)
class PendingFactors:
    """What the model saw when it scored one declaration: enough to work out its factors later."""

    declaration_id: uuid.UUID
    model_version: str
    feature_list_sha256: str
    features: bytes


class PendingFactorsRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_many(self, items: Sequence[PendingFactors]) -> None:
        if not items:
            return
        self._conn.execute(
            risk_pending_factors.insert(),
            [
                {
                    "declaration_id": item.declaration_id,
                    "model_version": item.model_version,
                    "feature_list_sha256": item.feature_list_sha256,
                    "features": item.features,
                }
                for item in items
            ],
        )

    def get(self, declaration_id: uuid.UUID) -> PendingFactors | None:
        row = self._conn.execute(
            select(
                risk_pending_factors.c.model_version,
                risk_pending_factors.c.feature_list_sha256,
                risk_pending_factors.c.features,
            ).where(risk_pending_factors.c.declaration_id == declaration_id)
        ).first()
        return PendingFactors(declaration_id, row[0], row[1], bytes(row[2])) if row is not None else None

    def remove_many(self, declaration_ids: Sequence[uuid.UUID]) -> None:
        """Drop the vectors of these declarations (a rescore replaced their scores); in chunks."""
        for at in range(0, len(declaration_ids), 500):
            chunk = list(declaration_ids[at : at + 500])
            self._conn.execute(
                delete(risk_pending_factors).where(risk_pending_factors.c.declaration_id.in_(chunk))
            )

    def remove(self, declaration_id: uuid.UUID) -> None:
        self._conn.execute(
            delete(risk_pending_factors).where(risk_pending_factors.c.declaration_id == declaration_id)
        )
