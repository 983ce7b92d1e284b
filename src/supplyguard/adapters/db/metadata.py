"""The one SQLAlchemy ``MetaData`` every table module registers on (Alembic reads it)."""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: The largest integer the databases store (PostgreSQL's BIGINT, SQLite's INTEGER). The API and the
#: dashboard refuse an id, leaf index or tree size past it (or an id below 1) as bad input: PostgreSQL
#: answers "bigint out of range" and the SQLite driver raises OverflowError on one out of that range.
MAX_STORED_INT = 2**63 - 1
