"""`supplyguard events import` of a document large enough for the parsing worker: captured whole, or
refused whole when an event near its end is invalid (nothing of the earlier slices kept), and the
ledger verifies after it."""

from __future__ import annotations

from pathlib import Path

from supplyguard.services.tracking import WORKER_MIN_BYTES
from tests.e2e.cli.test_cli import node_env, run  # noqa: F401 - node_env is a fixture
from tests.integration.tracking.epcis_data import as_bytes, document, event

COUNT = 2500


def test_a_large_import_is_all_or_nothing(node_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert run(node_env, "org", "create", "Carrier A", "--country", "NL").returncode == 0
    events = [event(n) for n in range(COUNT)]
    good = as_bytes(document(*events))
    assert len(good) >= WORKER_MIN_BYTES  # the CLI (one thread, two cores) forks the worker for it
    events[COUNT - 10] = {**events[COUNT - 10], "action": "LOOK"}
    bad_path, good_path = tmp_path / "bad.jsonld", tmp_path / "good.jsonld"
    bad_path.write_bytes(as_bytes(document(*events)))
    good_path.write_bytes(good)

    refused = run(node_env, "events", "import", str(bad_path), "--org", "Carrier A")
    assert refused.returncode != 0
    assert f"epcisBody.eventList.{COUNT - 10}.action" in refused.stderr and "Traceback" not in refused.stderr
    captured = run(node_env, "events", "import", str(good_path), "--org", "Carrier A")
    assert captured.returncode == 0, captured.stderr  # no event of the refused document was kept
    assert captured.stdout.startswith(f"{COUNT} events captured from good.jsonld; capture ")
    verified = run(node_env, "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
