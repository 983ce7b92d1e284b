"""Format detection from a file's name and first bytes, and the one entry point :func:`read_list`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from supplyguard.errors import ListSourceError
from supplyguard.screening.entries import ListSnapshot
from supplyguard.screening.readers.eu import read_eu_xml
from supplyguard.screening.readers.ftm import read_ftm_json
from supplyguard.screening.readers.ofac import read_ofac_dir
from supplyguard.screening.readers.tabular import read_bis_dpl, read_csl_csv, read_uk_ofsi_csv
from supplyguard.screening.readers.un import read_un_xml

FORMATS: dict[str, Callable[[Path], ListSnapshot]] = {
    "ofac-csv": read_ofac_dir,
    "un-xml": read_un_xml,
    "eu-xml": read_eu_xml,
    "csl-csv": read_csl_csv,
    "bis-dpl": read_bis_dpl,
    "uk-ofsi-csv": read_uk_ofsi_csv,
    "ftm-json": read_ftm_json,
    "senzing-json": read_ftm_json,  # the FtM reader reads the Senzing export too, and names it so
}

_OFAC_MAIN = ("sdn.csv", "cons_prim.csv")


def detect_format(path: Path) -> str:
    """Name the format of ``path`` (a file, or a folder of OFAC CSV files)."""
    if path.is_dir():
        if any((path / name).exists() for name in _OFAC_MAIN):
            return "ofac-csv"
        raise ListSourceError(str(path), "a folder without sdn.csv or cons_prim.csv")
    if not path.exists():
        raise ListSourceError(str(path), "no such file")
    name = path.name.lower()
    if name in _OFAC_MAIN or name in ("alt.csv", "add.csv", "sdn_comments.csv") or name.startswith("cons_"):
        return "ofac-csv"
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head.strip():
        raise ListSourceError(str(path), "the file is empty")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    if text.startswith("<"):
        if "CONSOLIDATED_LIST" in text:
            return "un-xml"
        if "eu.europa.ec/fpi/fsd/export" in text:
            return "eu-xml"
        raise ListSourceError(str(path), "XML, but neither the UN nor the EU list (OFAC XML is not read)")
    if text.startswith("{"):
        return "ftm-json"
    first_line = text.split("\n", 1)[0]
    if first_line.startswith('"Name"\t') or ("\t" in first_line and "Street_Address" in first_line):
        return "bis-dpl"
    if first_line.startswith("Last Updated") or first_line.startswith("Name 6,"):
        return "uk-ofsi-csv"
    if "alt_names" in first_line and "source" in first_line:
        return "csl-csv"
    if first_line[:1].isdigit() and ',"' in first_line:
        return "ofac-csv"
    raise ListSourceError(str(path), "unknown list format; name it with format=")


def read_list(path: Path | str, format: str | None = None) -> ListSnapshot:
    """Read one list file (or an OFAC folder). A broken file raises :class:`ListSourceError`."""
    path = Path(path)
    fmt = format or detect_format(path)
    reader = FORMATS.get(fmt)
    if reader is None:
        raise ListSourceError(str(path), f"unknown format {fmt!r}; known: {', '.join(sorted(FORMATS))}")
    return reader(path)
