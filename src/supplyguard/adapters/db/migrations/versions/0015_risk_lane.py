"""risk_lane: the scorer's own lane decision in its own column (declarations.model_lane)

When a withdrawn intel signal lets a lane come back down, it comes down to the lane the scorer
itself decided. That decision used to be read back from the wording of the reasons; it is now saved
with each assessment. Existing rows are filled once from the reasons, the way they were read before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 12:20:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The lane decisions the scorers wrote into the reasons up to this revision (risk/selection.py at
# rescore, risk/intake.py at intake), as services/risk_signals.model_lane read them; frozen here.
_LANE_WORDS: tuple[tuple[str, str], ...] = (
    ("red lane forced", "red"),
    ("yellow lane forced", "yellow"),
    ("green lane forced", "green"),
    ("within red capacity", "red"),
    ("exploration pick", "red"),
    ("red slot", "red"),
    ("within document-check capacity", "yellow"),
    ("yellow slot", "yellow"),
    ("below today's capacity", "green"),
    ("inspection capacity is used up", "green"),
    ("below the document-check line", "green"),
)
_SIGNAL_PREFIXES = ("screening: ", "intel: ", "tracking: ")
_BATCH = 1000

_declarations = sa.table(
    "declarations",
    sa.column("id", sa.Uuid()),
    sa.column("risk_reasons", sa.JSON()),
    sa.column("model_lane", sa.String(10)),
)


def lane_from_reasons(reasons: Any) -> str | None:
    """The scorer's lane read from its decision among the reasons (signals' reasons skipped)."""
    for reason in reasons if isinstance(reasons, list) else []:
        if not isinstance(reason, str) or reason.startswith(_SIGNAL_PREFIXES):
            continue
        for words, lane in _LANE_WORDS:
            if words in reason:
                return lane
    return None


def upgrade() -> None:
    op.add_column("declarations", sa.Column("model_lane", sa.String(length=10), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_declarations.c.id, _declarations.c.risk_reasons).where(
            _declarations.c.risk_reasons.is_not(None)
        )
    )
    statement = (
        sa.update(_declarations)
        .where(_declarations.c.id == sa.bindparam("b_id"))
        .values(model_lane=sa.bindparam("b_lane"))
    )
    found = [{"b_id": id_, "b_lane": lane} for id_, reasons in rows if (lane := lane_from_reasons(reasons))]
    for start in range(0, len(found), _BATCH):
        bind.execute(statement, found[start : start + _BATCH])


def downgrade() -> None:
    # SQLite drops the column by copying the table, which cannot carry the expression indexes over
    op.drop_index("ix_declarations_org_lane_risk", table_name="declarations")
    op.drop_index("ix_declarations_org_risk", table_name="declarations")
    with op.batch_alter_table("declarations") as batch:
        batch.drop_column("model_lane")
    op.create_index(
        "ix_declarations_org_risk", "declarations", ["org_id", sa.text("coalesce(priority, -1.0)"), "id"]
    )
    op.create_index(
        "ix_declarations_org_lane_risk",
        "declarations",
        ["org_id", "lane", sa.text("coalesce(priority, -1.0)"), "id"],
    )
