"""Strict capture of an XML document through the CLI: the GS1 schema's URI and date-time formats
are checked on its fields too, each refusal with the field's path; off by default."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli.test_cli import node_env, run  # noqa: F401 - node_env is a fixture
from tests.integration.tracking.epcis_data import gs1_folder

XML = """<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"
    creationDate="2026-03-01T10:00:00Z"><EPCISBody><EventList><ObjectEvent>
  <eventTime>2026-03-01T10:00:00.000+01:00</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
  <epcList><epc>urn:epc:id:sgtin:4012345.011111.1</epc><epc>{epc}</epc></epcList>
  <action>OBSERVE</action><readPoint><id>urn:epc:id:sgln:4012345.00001.0</id></readPoint>
</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>"""


def test_strict_mode_checks_uri_formats_in_xml_documents(
    node_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    assert run(node_env, "org", "create", "Carrier A", "--country", "NL").returncode == 0
    strict = {**node_env, "SUPPLYGUARD_EPCIS_SCHEMA_FILE": str(gs1_folder() / "EPCIS-JSON-Schema.json")}
    spaced = tmp_path / "spaced.xml"
    spaced.write_text(XML.format(epc="urn:epc:id:sgtin:4012345.011111 2"))

    refused = run(strict, "events", "import", str(spaced), "--org", "Carrier A")
    assert refused.returncode == 4, refused.stderr
    assert "epcisBody.eventList.0.epcList.1" in refused.stderr and "is not a URI" in refused.stderr
    assert "Traceback" not in refused.stderr
    accepted = run(node_env, "events", "import", str(spaced), "--org", "Carrier A")
    assert accepted.returncode == 0, accepted.stderr  # the default leaves URI syntax to strict mode

    good = tmp_path / "good.xml"
    good.write_text(XML.format(epc="urn:epc:id:sgtin:4012345.011111.2"))
    assert run(strict, "events", "import", str(good), "--org", "Carrier A").returncode == 0
