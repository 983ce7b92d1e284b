from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.errors import ListSourceError
from supplyguard.screening import EntityKind, ListSnapshot, detect_format, read_list

from .conftest import shared


def test_ofac_sdn_reads_every_entry_with_aliases_addresses_and_remarks(sdn: ListSnapshot) -> None:
    snapshot = sdn
    assert snapshot.metadata.list_id == "ofac-sdn"
    assert snapshot.metadata.entry_count == 8976 == len(snapshot.entries)
    by_id = {e.entity_id: e for e in snapshot.entries}
    ivanov = by_id["16688"]
    assert ivanov.kind is EntityKind.PERSON
    assert ivanov.name == "IVANOV, Sergei"
    assert "31 Jan 1953" in ivanov.dates_of_birth
    bnc = by_id["306"]
    assert any(a.name == "NATIONAL BANK OF CUBA" for a in bnc.aliases)
    assert any(a.name == "BNC" and a.quality == "weak" for a in bnc.aliases)
    assert any("Zurich" in a.text for a in bnc.addresses)
    assert by_id["4234"].kind is EntityKind.VESSEL
    assert len(snapshot.metadata.content_sha256) == 64


def test_ofac_remarks_give_identifiers_and_nationality(sdn: ListSnapshot) -> None:
    snapshot = sdn
    elena = next(e for e in snapshot.entries if e.entity_id == "29886")
    assert ("Passport", "737144264") in {(i.kind, i.value) for i in elena.identifiers}
    assert "Russia" in elena.countries


def test_ofac_consolidated_is_its_own_list() -> None:
    snapshot = read_list(shared("ofac/consolidated-2025-12"))
    assert snapshot.metadata.list_id == "ofac-cons"
    assert snapshot.metadata.entry_count == 442


def test_un_xml_keeps_original_script_and_list_date() -> None:
    snapshot = read_list(shared("un/UN_consolidated-2026-02-27.xml"))
    assert snapshot.metadata.list_date == "2026-02-27"
    assert snapshot.metadata.entry_count == 730 + 273
    saddam = next(e for e in snapshot.entries if "صدام حسين التكريتي" in [a.name for a in e.aliases])
    assert saddam.kind is EntityKind.PERSON
    assert any(a.script == "Arabic" and a.kind == "original-script" for a in saddam.aliases)


@pytest.mark.parametrize("name", ["csl/csl-sample-2019-12.csv", "csl/csl-sample-2025.csv"])
def test_csl_samples(name: str) -> None:
    snapshot = read_list(shared(name))
    assert snapshot.metadata.format == "csl-csv"
    assert all(e.name and e.entity_id for e in snapshot.entries)


def test_csl_2025_ids_and_alt_names() -> None:
    entries = read_list(shared("csl/csl-sample-2025.csv")).entries
    rim = next(e for e in entries if e.entity_id == "52291")
    assert ("Passport", "836238033", "KP") in {(i.kind, i.value, i.country) for i in rim.identifiers}
    sme = next(e for e in entries if e.entity_id == "18283")
    assert "JSC SME BANK" in [a.name for a in sme.aliases]


def test_bis_dpl_and_uk_and_ftm_and_senzing() -> None:
    assert read_list(shared("bis/dpl-2022-09.txt")).metadata.entry_count == 581
    uk = read_list(shared("format-samples/sample_hmt.csv"))
    assert uk.metadata.list_date == "27/04/2020"
    assert any(a.script == "Arabic" for e in uk.entries for a in e.aliases)
    ftm = read_list(shared("opensanctions/zala-entities.ftm.json"))
    assert any(a.script == "Cyrillic" for e in ftm.entries for a in e.aliases)
    congress = read_list(shared("opensanctions/us_congress_senzing.json"))
    assert congress.metadata.list_id == "os-us-congress"


def test_detection_by_content(tmp_path: Path) -> None:
    source = shared("un/UN_consolidated-2026-02-27.xml")
    copy = tmp_path / "whatever.dat"
    copy.write_bytes(source.read_bytes())
    assert detect_format(copy) == "un-xml"
    assert detect_format(shared("ofac/sdn-2021-07")) == "ofac-csv"
    assert detect_format(shared("bis/dpl-2022-09.txt")) == "bis-dpl"


def test_truncated_sdn_is_refused(tmp_path: Path) -> None:
    source = shared("ofac/sdn-2021-07/sdn.csv").read_bytes()
    (tmp_path / "sdn.csv").write_bytes(source[: len(source) // 2])
    with pytest.raises(ListSourceError, match=r"fields|broken"):
        read_list(tmp_path)


def test_truncated_xml_is_refused(tmp_path: Path) -> None:
    source = shared("un/UN_consolidated-2026-02-27.xml").read_bytes()
    path = tmp_path / "un.xml"
    path.write_bytes(source[:50_000])
    with pytest.raises(ListSourceError, match="broken XML"):
        read_list(path)


def test_empty_and_utf16_and_unknown_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "sdn.csv"
    empty.write_bytes(b"\x1a\r\n")
    with pytest.raises(ListSourceError, match="empty"):
        read_list(tmp_path)
    utf16 = tmp_path / "list.csv"
    utf16.write_bytes('source,name,alt_names,addresses\n"x","y","",""\n'.encode("utf-16"))
    with pytest.raises(ListSourceError):
        read_list(utf16, format="csl-csv")
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello world\n")
    with pytest.raises(ListSourceError, match="unknown list format"):
        read_list(unknown)


def test_broken_json_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"id": "a", "schema": "Person", "properties": {"name": ["A B"]}}\n{"id": "b", "sch\n')
    with pytest.raises(ListSourceError, match="line 2"):
        read_list(path)


def test_eu_xml_sample_and_ofac_xml_refused() -> None:
    eu = read_list(shared("format-samples/sample_eu.xml"))
    assert eu.metadata.list_id == "eu-fsf"
    assert eu.metadata.list_date == "2020-04-15"
    first = eu.entries[0]
    assert (
        first.kind is EntityKind.PERSON and "1965-12-12" in first.dates_of_birth and "DZ" in first.countries
    )
    with pytest.raises(ListSourceError, match="OFAC XML"):
        read_list(shared("format-samples/sdn.xml"))
    assert read_list(shared("format-samples/sample_unsc.xml")).metadata.list_id == "un-sc"
