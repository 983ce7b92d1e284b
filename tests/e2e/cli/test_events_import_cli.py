"""`supplyguard events import FILE --org NAME` captures a document; a repeat is refused with exit 7."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli.test_cli import node_env, run  # noqa: F401 - node_env is a fixture
from tests.integration.tracking.epcis_data import as_bytes, document, event


def test_events_import_captures_then_refuses_the_repeat(node_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert run(node_env, "org", "create", "Carrier A", "--country", "NL").returncode == 0
    path = tmp_path / "events.jsonld"
    path.write_bytes(as_bytes(document(event(0), event(3))))
    first = run(node_env, "events", "import", str(path), "--org", "Carrier A")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("2 events captured from events.jsonld; capture ")
    again = run(node_env, "events", "import", str(path), "--org", "Carrier A")
    assert again.returncode == 7
    assert "epcisBody.eventList.0" in again.stderr and "Traceback" not in again.stderr


def test_events_import_refuses_a_document_over_the_limit_without_reading_it(
    node_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    assert run(node_env, "org", "create", "Carrier A", "--country", "NL").returncode == 0
    path = tmp_path / "huge.jsonld"
    with path.open("wb") as sparse:  # 200 MB on paper, no disk: refused by its size alone
        sparse.truncate(200_000_000)
    result = run(node_env, "events", "import", str(path), "--org", "Carrier A")
    assert result.returncode != 0
    assert "200000000 bytes exceeds the limit" in result.stderr and "Traceback" not in result.stderr
    hashed = run(node_env, "events", "hash", str(path))
    assert hashed.returncode != 0 and "exceeds the limit" in hashed.stderr
