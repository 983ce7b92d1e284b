"""tracking_event_json_text: an event's body and namespaces stored as ``text`` on PostgreSQL

PostgreSQL's ``json`` type keeps the text as it is given and only checks, on every insert, that it
is JSON: for a captured event that is a second parse of a body the capture has already parsed or
encoded itself (about 0.8 µs of server CPU an event). As ``text`` the same bytes are stored and
read back (the application decodes them, as it did the ``json`` column's text); nothing queried
these columns with JSON operators. The table is rewritten once (there is no binary cast between
``json`` and ``text``). SQLite's ``JSON`` checks nothing and is not touched. The downgrade casts
back to ``json`` (which checks every stored text again).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_COLUMNS = ("body", "namespaces")


def _retype(type_name: str) -> None:
    """Both columns in one ALTER TABLE: the table is rewritten once."""
    if op.get_bind().dialect.name != "postgresql":
        return
    changes = ", ".join(f"ALTER COLUMN {c} TYPE {type_name} USING {c}::{type_name}" for c in _COLUMNS)
    op.execute(f"ALTER TABLE tracking_events {changes}")


def upgrade() -> None:
    _retype("text")


def downgrade() -> None:
    _retype("json")
