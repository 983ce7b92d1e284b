"""Alembic migrations, run programmatically (``supplyguard db upgrade``); never ``create_all``.

Every CLI command checks that the database is at the head revision before it starts. That check
reads ``alembic_version`` with one query and takes the head from the migration files' names
(``NNNN_<what>.py``, revision ``NNNN``, each revising the one before: a test holds Alembic's own
head to it), so starting a command does not load Alembic and every migration module.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, exc, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database no migration has touched."""
    with engine.connect() as connection:
        try:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except exc.DBAPIError:  # no alembic_version table yet
            return None
    if len(rows) > 1:  # several heads: not a state this project's linear history produces
        return ",".join(sorted(rows))
    return rows[0] if rows else None


def head_revision() -> str | None:
    """The newest migration's revision, from the files' names (see the module's docstring)."""
    found = [m.group(1) for p in (MIGRATIONS / "versions").iterdir() if (m := _REVISION_FILE.match(p.name))]
    return max(found) if found else None


def alembic_head_revision() -> str | None:
    """Alembic's own reading of the head (loads every migration module): what the test compares."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def make_revision(engine: Engine, message: str) -> None:
    """Developers only: autogenerate a migration from the tables' current definitions."""
    from alembic import command

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
