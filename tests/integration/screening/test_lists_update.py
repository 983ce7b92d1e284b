"""`ListStore.update`: official-format files downloaded from a local HTTP server, checked, swapped in;
a broken, cut-short, missing or wrong file leaves the list in force and says what is wrong."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from supplyguard.adapters.lists_store import ListStore, download_client
from supplyguard.errors import ListSourceError
from tests.conftest import require_shared
from tests.list_server import serve_folder

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A folder like the official sites, plus broken versions of the files."""
    root = tmp_path_factory.mktemp("site")
    sdn = require_shared("screening", "ofac", "sdn-2021-07")
    old_sdn = require_shared("screening", "ofac", "sdn-2019-01")
    un = next(require_shared("screening", "un").glob("*.xml"))
    shutil.copytree(sdn, root / "ofac")
    shutil.copytree(old_sdn, root / "ofac-2019")
    (root / "UPPER").mkdir()
    for path in sdn.iterdir():
        shutil.copy(path, root / "UPPER" / path.name.upper())
    shutil.copy(un, root / "consolidated.xml")
    data = un.read_bytes()
    (root / "cut.xml").write_bytes(data[: len(data) // 2])
    (root / "cut-ofac").mkdir()
    main = (sdn / "sdn.csv").read_bytes()
    (root / "cut-ofac" / "sdn.csv").write_bytes(main[: len(main) // 3])  # cut mid-record
    lines = main.split(b"\n")
    (root / "short-ofac").mkdir()
    (root / "short-ofac" / "sdn.csv").write_bytes(b"\n".join(lines[:200]) + b"\n")  # cut at a line end
    for name in ("alt.csv", "add.csv", "sdn_comments.csv"):
        for folder in ("cut-ofac", "short-ofac"):
            shutil.copy(sdn / name, root / folder / name)
    (root / "no-alt").mkdir()
    shutil.copy(sdn / "sdn.csv", root / "no-alt" / "sdn.csv")
    (root / "empty.xml").write_bytes(b"")
    with serve_folder(root) as base:
        yield base


@pytest.fixture
def store(tmp_path: Path) -> ListStore:
    return ListStore(tmp_path / "lists")


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with download_client(10.0) as http:
        yield http


def test_downloads_an_ofac_list_with_its_companions_and_records_url_and_date(
    site: str, store: ListStore, client: httpx.Client
) -> None:
    seen: list[tuple[str, int, int | None]] = []
    meta = store.update(
        "ofac-sdn", f"{site}/ofac/sdn.csv", NOW, client=client, progress=lambda *a: seen.append(a)
    )
    assert meta.list_id == "ofac-sdn" and meta.entry_count == 8976
    manifest = store.manifest("ofac-sdn")
    assert manifest is not None
    assert manifest["source_url"] == f"{site}/ofac/sdn.csv"
    assert manifest["metadata"]["source"] == f"{site}/ofac/sdn.csv"
    assert manifest["metadata"]["list_date"]  # the file has none: the server's Last-Modified date
    assert manifest["list_date_from"] == "http last-modified"
    assert set(manifest["metadata"]["files"]) == {"sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"}
    assert {label for label, _, _ in seen} == {"sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"}
    assert all(total is None or done <= total for _, done, total in seen)
    assert not [p for p in store.root.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_upper_case_official_names_fetch_upper_case_companions(
    site: str, store: ListStore, client: httpx.Client
) -> None:
    meta = store.update("ofac-sdn", f"{site}/UPPER/SDN.CSV", NOW, client=client)
    assert meta.entry_count == 8976 and len(meta.files) == 4


def test_un_xml_keeps_the_date_the_file_states(site: str, store: ListStore, client: httpx.Client) -> None:
    meta = store.update("un-sc", f"{site}/consolidated.xml", NOW, client=client)
    assert meta.list_id == "un-sc" and meta.list_date.startswith("2026-02-27")
    manifest = store.manifest("un-sc")
    assert manifest is not None and manifest["list_date_from"] == "file"


def test_a_newer_version_replaces_the_list_in_force(
    site: str, store: ListStore, client: httpx.Client
) -> None:
    store.update("ofac-sdn", f"{site}/ofac/sdn.csv", NOW, client=client)
    meta = store.update("ofac-sdn", f"{site}/ofac-2019/sdn.csv", NOW, client=client)
    assert meta.entry_count == 7379
    assert [m["metadata"]["entry_count"] for m in store.manifests()] == [7379]


@pytest.mark.parametrize(
    ("list_id", "path", "reason"),
    [
        ("un-sc", "/cut.xml", "line"),  # broken XML, with the line
        ("un-sc", "/missing.xml", "HTTP 404"),
        ("un-sc", "/empty.xml", "empty"),
        ("un-sc", "/lying/consolidated.xml", "cut short"),
        ("ofac-sdn", "/cut-ofac/sdn.csv", "cut short"),
        ("ofac-sdn", "/no-alt/sdn.csv", "alt.csv: the server answered HTTP 404"),
        ("ofac-sdn", "/short-ofac/sdn.csv", "truncated file"),
        ("un-sc", "/ofac/sdn.csv", "not 'un-sc'"),
    ],
)
def test_a_broken_download_leaves_the_list_in_force(
    site: str, store: ListStore, client: httpx.Client, list_id: str, path: str, reason: str
) -> None:
    store.update("un-sc", f"{site}/consolidated.xml", NOW, client=client)
    store.update("ofac-sdn", f"{site}/ofac/sdn.csv", NOW, client=client)
    before = {m["metadata"]["list_id"]: m for m in store.manifests()}
    with pytest.raises(ListSourceError) as caught:
        store.update(list_id, f"{site}{path}", NOW, client=client)
    assert reason in str(caught.value)
    after = {m["metadata"]["list_id"]: m for m in store.manifests()}
    assert after == before
    assert not [p for p in store.root.iterdir() if p.name.startswith(".")]


def test_a_smaller_version_is_accepted_when_shrinking_is_allowed(
    site: str, store: ListStore, client: httpx.Client
) -> None:
    store.update("ofac-sdn", f"{site}/ofac/sdn.csv", NOW, client=client)
    meta = store.update("ofac-sdn", f"{site}/short-ofac/sdn.csv", NOW, client=client, min_share=None)
    assert meta.entry_count < 300


def test_an_unreachable_server_and_other_schemes_are_refused(store: ListStore) -> None:
    with download_client(2.0) as client:
        with pytest.raises(ListSourceError, match="cannot download"):
            store.update("un-sc", "http://127.0.0.1:9/consolidated.xml", NOW, client=client)
        with pytest.raises(ListSourceError, match="only http"):
            store.update("un-sc", "file:///etc/passwd", NOW, client=client)
    assert store.manifests() == []


def test_every_installed_list_reads_back_from_the_store(store: ListStore) -> None:
    """The screener is built from the stored copies: each format's manifest must name a reader
    (the Senzing export is read by the FtM reader under the format name 'senzing-json')."""
    folder = require_shared("screening", "opensanctions")
    for path in (
        folder / "us_congress_senzing.json",
        folder / "zala-entities.ftm.json",
        require_shared("screening", "bis", "dpl-2022-09.txt"),
        require_shared("screening", "csl", "csl-sample-2025.csv"),
    ):
        store.install(path, None, NOW)
    formats = {m["metadata"]["list_id"]: m["format"] for m in store.manifests()}
    assert formats["os-us-congress"] == "senzing-json"
    snapshots = {s.metadata.list_id: s.metadata.entry_count for s in store.snapshots()}
    assert snapshots["os-us-congress"] == 1319 and len(snapshots) == 4


def test_the_node_screener_is_rebuilt_only_when_a_list_changes(store: ListStore) -> None:
    from supplyguard.services.screening import screener_for

    extras: dict[str, object] = {}
    assert screener_for(extras, store.root) is None
    store.install(next(require_shared("screening", "un").glob("*.xml")), None, NOW)
    first = screener_for(extras, store.root)
    assert first is not None and screener_for(extras, store.root) is first
    store.install(require_shared("screening", "csl", "csl-sample-2025.csv"), None, NOW)
    second = screener_for(extras, store.root)
    assert second is not None and second is not first and set(second.list_ids) == {"un-sc", "us-csl"}
