"""Shared test fixtures: real databases (SQLite and PostgreSQL), a built container, factories.

PostgreSQL tests need the server at 127.0.0.1:5432 (trust auth); each test session creates its own
database and drops it at the end. Without the server those tests are skipped and the run says so
loudly, unless SUPPLYGUARD_REQUIRE_POSTGRES=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
PG_ADMIN_URL = os.environ.get(
    "SUPPLYGUARD_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

_SKIPPED_GROUPS: dict[str, str] = {}


def require_shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data {path} is not available")
    return path


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable ({type(exc).__name__})"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (one per xdist worker), migrated once."""
    problem = _postgres_available()
    if problem:
        if os.environ.get("SUPPLYGUARD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem}, and SUPPLYGUARD_REQUIRE_POSTGRES=1")
        _SKIPPED_GROUPS["postgres"] = problem
        pytest.skip(problem)
    name = f"sg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    from supplyguard.adapters.db.engine import create_db_engine
    from supplyguard.adapters.db.migrate import upgrade

    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (much faster than migrating per test)."""
    from supplyguard.adapters.db.engine import create_db_engine
    from supplyguard.adapters.db.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name("template.db-wal").exists()
    return path


def _truncate_all(url: str) -> None:
    from supplyguard.adapters.db.schema import load_all_tables

    metadata = load_all_tables()
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """Every storage test runs against both backends."""
    if request.param == "sqlite":
        target = tmp_path / "node.db"
        shutil.copy(sqlite_template, target)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("postgres_server_url")
    _truncate_all(url)
    yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    from supplyguard.config import Settings

    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, node_name="test.node", node_country="NL"
    )


@pytest.fixture
def container(settings):  # type: ignore[no-untyped-def]
    from supplyguard.bootstrap import build

    built = build(settings)
    yield built
    built.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: dict[str, int] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons[reason] = reasons.get(reason, 0) + 1
    terminalreporter.write_sep("!", "SKIPPED TESTS: these were NOT run", red=True, bold=True)
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"  {count:4d} skipped: {reason}", red=True)
