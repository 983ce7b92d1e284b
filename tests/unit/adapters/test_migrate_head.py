"""The start-up schema check reads the head from the migration files' names: Alembic must agree."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import create_engine

from supplyguard.adapters.db import migrate


def test_head_from_file_names_is_alembics_head() -> None:
    assert migrate.head_revision() == migrate.alembic_head_revision()


def test_each_migration_revises_the_one_before() -> None:
    versions = sorted((migrate.MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert versions, "no migration files found"
    previous = None
    for path in versions:
        source = path.read_text(encoding="utf-8")
        revision = re.search(r'^revision = "(\d{4})"$', source, re.M)
        down = re.search(r'^down_revision = (None|"(\d{4})")$', source, re.M)
        assert revision and revision.group(1) == path.name[:4], path.name
        assert down is not None, path.name
        assert down.group(2) == previous, f"{path.name} revises {down.group(1)}, expected {previous}"
        previous = revision.group(1)


def test_current_revision_of_a_new_and_an_upgraded_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'node.db'}")
    try:
        assert migrate.current_revision(engine) is None
        assert not migrate.is_up_to_date(engine)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert migrate.is_up_to_date(engine)
    finally:
        engine.dispose()
