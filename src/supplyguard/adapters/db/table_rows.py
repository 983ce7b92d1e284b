"""Declarations, their items, outcomes and parties known by a code as table rows, in column order.

Pure (no SQLAlchemy): :class:`~supplyguard.adapters.db.declarations_repo.DeclarationRepository`
inserts these rows, and the bulk import's reader process makes them without loading the database
layer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from supplyguard.adapters.db.bulk import Stored, new_id_block
from supplyguard.model.declarations import Declaration, InspectionOutcome, PartyRef


def _party_json(ref: PartyRef | None) -> dict[str, str] | None:
    if ref is None:
        return None
    body = {"code": ref.code}
    if ref.name:
        body["name"] = ref.name
    if ref.country:
        body["country"] = ref.country
    return body


def declaration_rows(
    decl: Declaration, import_batch: uuid.UUID | None = None
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The declaration's row and its items' rows, in table column order, for
    :func:`~supplyguard.adapters.db.bulk.bulk_insert`."""
    declarant, seller, courier = decl.declarant, decl.seller, decl.courier
    row = (
        decl.id,
        decl.org_id,
        decl.reference,
        decl.declared_on,
        decl.office_id,
        decl.transport_mode,
        decl.process_type,
        decl.import_type,
        decl.import_use,
        decl.payment_type,
        declarant.code if declarant else None,
        decl.importer.code,
        seller.code if seller else None,
        courier.code if courier else None,
        {role: _party_json(ref) for role, ref in decl.parties().items()},
        list(decl.containers),
        decl.total_value,
        decl.total_duty,
        decl.received_at,
        decl.source,
        import_batch,
        decl.lane.value if decl.lane else None,
        decl.score,
        "open",
        None,
        None,
        None,
        None,  # model_lane: set when the declaration is scored
    )
    items = [
        (
            decl.id,
            item.line_no,
            item.hs_code,
            item.origin_country,
            item.departure_country,
            item.origin_indicator,
            item.net_mass_kg,
            item.value,
            item.tax_rate_pct,
            item.tax_type,
            item.duty,
            item.description,
        )
        for item in decl.items
    ]
    return row, items


def outcome_row(o: InspectionOutcome) -> tuple[Any, ...]:
    return (
        o.declaration_id,
        o.inspected,
        o.result.value if o.result else None,
        o.duty_recovered,
        o.notes,
        o.recorded_at,
        o.recorded_by,
    )


def coded_party_rows(
    org_id: uuid.UUID, codes: Sequence[str], now: datetime, stored: Stored
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """New ids (hex) and stored rows for parties known only by their codes (distinct, none stored
    yet), as :meth:`PartyRepository.add_new` writes them: the name is the code."""
    org, created = stored.uuid(org_id), stored.timestamp(now)
    ids = new_id_block(len(codes))
    return ids, [
        (hex_id, org, code, code, None, "[]", "[]", None, created)
        for hex_id, code in zip(ids, codes, strict=True)
    ]
